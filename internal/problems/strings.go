package problems

import (
	"fmt"
	"strings"

	"github.com/cityreach/cityreach/internal/report"
)

// Langs are the languages of the exports: Chinese (the default) and English.
var Langs = []string{"zh", "en"}

var words = report.Words{ // zh, en
	"sheet_problems": {"问题清单", "Problems"},
	"sheet_rates":    {"整治率", "Rectification rate"},
	"sheet_about":    {"说明", "About"},
	ParkCoverage:     {"公园绿化活动场地服务半径覆盖率", "Park service-radius coverage"},
	LivingCircle:     {"一刻钟便民生活圈（基本公共服务设施）", "15-minute living circle (basic facilities)"},
	Complete:         {"完整社区建设标准", "Complete-community checklist"},
	StatusNew:        {"新增", "new"},
	StatusPersisting: {"持续", "persisting"},
	StatusFixed:      {"已整改", "fixed"},
	StatusOpen:       {"待整改", "open"},
	"id":             {"问题编号", "Problem id"},
	"status":         {"状态", "Status"},
	"indicator":      {"指标", "Indicator"},
	"district_code":  {"区县代码", "District code"},
	"district":       {"区县", "District"},
	"subdistrict":    {"街道", "Subdistrict"},
	"unit_code":      {"社区代码", "Community code"},
	"unit":           {"社区", "Community"},
	"value":          {"数值", "Value"},
	"threshold":      {"阈值", "Threshold"},
	"before":         {"上期数值", "Earlier value"},
	"after":          {"本期数值", "Later value"},
	"remedy":         {"建议措施", "Suggested remedy"},
	"level":          {"层级", "Level"},
	"code":           {"代码", "Code"},
	"name":           {"名称", "Name"},
	"earlier":        {"上期问题数", "Earlier problems"},
	"n_fixed":        {"已整改", "Fixed"},
	"n_persisting":   {"仍存在", "Persisting"},
	"n_new":          {"新增", "New"},
	"rate":           {"整治率", "Rate"},
	"city":           {"城市", "City"},
	"from":           {"上期", "Earlier edition"},
	"to":             {"本期", "Later edition"},
	"now":            {"当前数据", "current data"},
	"none":           {"无（不比较）", "none (no comparison)"},
	"caliber":        {"口径", "Caliber"},
	"method":         {"方法", "Method"},
	"lcity":          {"全市", "city"},
	"ldistrict":      {"区县", "district"},
	"lcommunity":     {"社区", "community"},
	"rate_note": {"整治率 = 上期问题中本期已整改的数量 ÷ 上期问题数；问题编号由城市、指标与社区代码确定，跨年度不变。",
		"Rate = problems of the earlier edition fixed in the later one ÷ problems of the earlier edition; a problem's id depends only on the city, the indicator and the community code, so it is the same in every edition."},
}

// T returns the word key in lang ("en", or Chinese).
func T(lang, key string) string { return words.T(lang, key) }

// RemedyText says in lang what p's remedy is.
func RemedyText(lang string, p *Problem) string {
	en := lang == "en"
	switch {
	case p.Status == StatusFixed:
		return T(lang, StatusFixed)
	case p.Indicator == LivingCircle && len(p.Remedy.Missing) > 0:
		if en {
			return "add within reach: " + strings.Join(p.Remedy.Missing, ", ")
		}
		return "补齐步行范围内的：" + strings.Join(p.Remedy.MissingNames, "、")
	case p.Indicator == Complete && len(p.Remedy.Missing) > 0:
		if en {
			return "meet the checklist items: " + strings.Join(p.Remedy.Missing, ", ")
		}
		return "补齐完整社区配置项：" + strings.Join(p.Remedy.MissingNames, "、")
	case p.Indicator == ParkCoverage && len(p.Remedy.Sites) > 0:
		var gain float64
		ranks := make([]string, len(p.Remedy.Sites))
		for i, s := range p.Remedy.Sites {
			gain += s.GainM2
			ranks[i] = fmt.Sprint(s.Rank)
		}
		if en {
			return fmt.Sprintf("%d candidate park site(s) of %.0f m² (city ranks %s), covering %.0f m² of residential land now outside every service area",
				len(p.Remedy.Sites), p.Remedy.Sites[0].AreaM2, strings.Join(ranks, ", "), gain)
		}
		return fmt.Sprintf("建议新增公园选址 %d 处（每处 %.0f m²，全市候选序号 %s），可新覆盖居住用地 %.0f m²",
			len(p.Remedy.Sites), p.Remedy.Sites[0].AreaM2, strings.Join(ranks, "、"), gain)
	case p.Indicator == ParkCoverage:
		if en {
			return "add parks within reach of the uncovered residential land (no candidate site of the city's first ones lies here)"
		}
		return "在未覆盖的居住用地服务半径内增设公园绿地（全市前列候选选址不在本社区）"
	}
	return ""
}
