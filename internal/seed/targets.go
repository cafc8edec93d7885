package seed

// TargetSource names where Baotou's seeded targets come from.
const TargetSource = "包头市 2025–2030 行动方案: 城市公园绿地服务半径覆盖率 100 % by 2030 (docs/standards.md §5)"

// targets writes Baotou's indicator targets (indicator_targets) unless the city has its
// own already: park service-radius coverage of 100 % by 2030, the only target of the plan
// with a year in the notes. The plan's 2027 milestone and the year of "30 complete
// 15-minute circles in three years" are not given there, so they are not invented here;
// docs/editions.md says how to record them.
func (l *loader) targets() error {
	_, err := l.tx.Exec(l.ctx, `INSERT INTO indicator_targets (city_id, indicator, year, value, source)
		VALUES ($1, 'park-coverage', 2030, 1.0, $2) ON CONFLICT DO NOTHING`, l.cityID, TargetSource)
	return err
}
