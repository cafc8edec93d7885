-- The capacity norm of a facility category (issue 22): how much capacity the residents
-- should have, against which the capacity indicator's gap, shortfall and attainment are
-- measured (internal/capacity, docs/capacity.md "The norm"). Until now every category was
-- measured against one place per resident of its bands, which made elderly care (a few beds
-- per hundred older residents) look empty everywhere.
--
-- capacity_norm is in the category's capacity unit per 1,000 residents of the basis:
-- 'bands', the residents of the age bands the indicator weighs (the category's demand bands
-- or those asked for), or 'residents', every resident (the planners' 千人指标, e.g. 托位 per
-- 1,000 population). capacity_norm_source says where the value comes from, or that it is an
-- assumption. Every value is configurable; the defaults below are documented and cited in
-- docs/capacity.md.
ALTER TABLE facility_categories
    ADD COLUMN capacity_norm double precision NOT NULL DEFAULT 1000,
    ADD COLUMN capacity_norm_basis text NOT NULL DEFAULT 'bands',
    ADD COLUMN capacity_norm_source text NOT NULL DEFAULT '',
    ADD CONSTRAINT facility_categories_capacity_norm_range CHECK (capacity_norm > 0 AND capacity_norm < 1e9),
    ADD CONSTRAINT facility_categories_capacity_norm_basis_known CHECK (capacity_norm_basis IN ('bands', 'residents')),
    ADD CONSTRAINT facility_categories_capacity_norm_source_length CHECK (length(capacity_norm_source) <= 500);

UPDATE facility_categories SET capacity_norm = 4.5, capacity_norm_basis = 'residents',
    capacity_norm_source = '“十四五”规划纲要主要指标：每千人口拥有3岁以下婴幼儿托位数 4.5 个（2025 年）'
    WHERE code = 'nursery';
UPDATE facility_categories SET capacity_norm = 900, capacity_norm_basis = 'bands',
    capacity_norm_source = '“十四五”学前教育发展提升行动计划：学前三年毛入园率 90% 以上（2025 年），即每千名3–6岁儿童 900 个学位'
    WHERE code = 'kindergarten';
UPDATE facility_categories SET capacity_norm = 1000, capacity_norm_basis = 'bands',
    capacity_norm_source = '假设（无全国千人指标）：义务教育适龄儿童每人一个学位；地方千人指标可改按常住人口计'
    WHERE code IN ('primary_school', 'middle_school');
UPDATE facility_categories SET capacity_norm = 30, capacity_norm_basis = 'bands',
    capacity_norm_source = '社会养老服务体系建设规划（2011—2015年）：每千名老年人拥有养老床位 30 张'
    WHERE code = 'elderly_care';
UPDATE facility_categories SET capacity_norm = 8000, capacity_norm_basis = 'bands',
    capacity_norm_source = 'GB 55014-2021《园林绿化工程项目规范》：人均公园绿地面积不低于 8.0 m²'
    WHERE code = 'park_square';
