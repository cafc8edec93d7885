// Package ogcapi serves cityreach's layers as OGC API – Features under /ogc, so that QGIS,
// ArcGIS and GDAL read them without plug-ins: Part 1 Core (landing page, conformance,
// OpenAPI, collections, items with bbox, limit/offset paging with next/prev links,
// numberMatched and timeStamp, attribute equality filters), Part 2 CRS by reference
// (crs, bbox-crs, storageCrs, Content-Crs) and Part 3 Filtering (CQL2-text filter,
// filter-lang, filter-crs, queryables), plus sortby, properties and datetime, and Part 4
// (create, replace, update, delete; write.go) on the collections that implement Writer,
// through featureapi.Store.Edit, the write path of /api/v1/layers. Every resource is JSON
// (items as application/geo+json) and self-contained HTML.
//
// Data flows one way. params.go turns a query string into a checked Query (every name
// against the collection's allow-list, every number bounded); a Collection answers it.
// The registry layers are Collections backed by featureapi.Store, which builds the SQL
// with bind parameters only (layercollection.go). Other packages add their results as
// further collections by implementing Collection and calling Catalog.Register before the
// server starts (collection.go).
package ogcapi
