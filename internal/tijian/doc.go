// Package tijian assembles the 城市体检 (yearly city health check) self-check tables: the
// base indicators this data supports, per unit — 社区 community, 街道 subdistrict, 城区
// district and the city, each with its administrative code — grouped by 维度 (dimension).
//
// It computes no indicator itself. Every value is read from the answer of the domain
// service that computes it for the API and the CLI: park coverage (internal/coverage, under
// the 公园绿化活动场地 caliber by default), 人均公园绿地面积 (the same answer's per-capita
// figures), the complete-community scorecard (internal/checks), and the 15-minute living
// circle and the facility service-radius shares (internal/walk). What this package adds is
// the official shape: units as rows, one table per 维度 (dimensions.json), counts of the
// communities failing each complete-community item per 街道, 城区 and city, and the
// writers of the XLSX tables and of the GeoPackage data package. docs/tijian.md describes
// every column and its source.
package tijian
