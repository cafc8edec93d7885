package capacity

import "unicode"

// Bases of a capacity norm (facility_categories.capacity_norm_basis).
const (
	// NormBands counts the norm per 1,000 residents of the bands the indicator weighs (the
	// category's demand bands, or those asked for): e.g. 30 beds per 1,000 residents aged 60+.
	NormBands = "bands"
	// NormResidents counts it per 1,000 residents of every age (a planners' 千人指标, e.g. 4.5
	// 托位 per 1,000 population), while the demand that shares the capacity out stays the
	// bands'.
	NormResidents = "residents"
)

// Norm is the capacity the residents should have, against which the gap, shortfall and
// attainment are measured: PerThousand units of the category's capacity (seats, places,
// beds; m² for parks) per 1,000 residents of Basis (facility_categories.capacity_norm,
// migration 0027). Source says where the value comes from, or that it is an assumption.
// The zero Norm is one unit per resident of the bands.
type Norm struct {
	PerThousand float64 `json:"per_1000"`
	Basis       string  `json:"basis"`
	Source      string  `json:"source"`
}

// resolved is n with the zero value's defaults filled in.
func (n Norm) resolved() Norm {
	if n.PerThousand <= 0 {
		n.PerThousand = 1000
	}
	if n.Basis == "" {
		n.Basis = NormBands
	}
	return n
}

// Need is the capacity a parcel should have under n: PerThousand/1000 × its demand (the
// residents of the bands, NormBands) or × its residents (NormResidents). A parcel whose
// band demand is unknown (known false: no age data) needs nothing that can be counted: its
// need is 0 whatever the basis, as its demand is left out.
func (n Norm) Need(demand, residents float64, known bool) float64 {
	n = n.resolved()
	if !known {
		return 0
	}
	if n.Basis == NormResidents {
		return n.PerThousand / 1000 * residents
	}
	return n.PerThousand / 1000 * demand
}

// sourcesEn are English texts of the norm sources migration 0027 seeds, by their exact
// Chinese text (facility_categories.capacity_norm_source has no English column): an
// edited source has none.
var sourcesEn = map[string]string{
	"“十四五”规划纲要主要指标：每千人口拥有3岁以下婴幼儿托位数 4.5 个（2025 年）":                 "14th Five-Year Plan outline, main indicators: 4.5 childcare places for children under 3 per 1,000 population (2025)",
	"“十四五”学前教育发展提升行动计划：学前三年毛入园率 90% 以上（2025 年），即每千名3–6岁儿童 900 个学位": "14th Five-Year action plan for preschool education: a gross enrolment rate of 90 % or more in the three preschool years (2025), i.e. 900 places per 1,000 children aged 3–6",
	"假设（无全国千人指标）：义务教育适龄儿童每人一个学位；地方千人指标可改按常住人口计":                    "Assumption (no national per-1,000 norm): one place per child of compulsory-education age; a local per-1,000 norm may be counted per resident instead",
	"社会养老服务体系建设规划（2011—2015年）：每千名老年人拥有养老床位 30 张":                   "Plan for the social elderly-care service system (2011–2015): 30 elderly-care beds per 1,000 older people",
	"GB 55014-2021《园林绿化工程项目规范》：人均公园绿地面积不低于 8.0 m²":                 "GB 55014-2021 (Project code for landscaping engineering): park green space of at least 8.0 m² per resident",
}

// SourceEn returns the English text of a norm's source: a seeded source's translation, or
// the source itself when it is written without Chinese characters; ok is false for any
// other (the source is in Chinese only) and for an empty source.
func SourceEn(source string) (string, bool) {
	if en, ok := sourcesEn[source]; ok {
		return en, true
	}
	if source == "" {
		return "", false
	}
	for _, r := range source {
		if unicode.Is(unicode.Han, r) {
			return "", false
		}
	}
	return source, true
}
