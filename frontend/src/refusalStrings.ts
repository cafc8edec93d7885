// The words of refusals (src/refusals.ts), merged into the i18n table (src/i18n.ts) under
// con.*, con.table.*, geom.*, refuse.kind.* and refuse.attr.*. Data only: no imports.
//
// Why the server refused a write, in the page's language (issue 18 item 5). A refusal is an
// application/problem+json whose members name the culprit (docs/scenarios.md): `constraint`
// (a table rule of migrations/, named), `attribute` and `pointer` (the registry's attribute
// rules, internal/featurewrite), `reason` (the geometry, PostGIS ST_IsValidDetail), and its
// `status` (the fault kind). Each is mapped to a message here; what the table does not know
// falls back to the server's own English `detail`, and the message says so.

type Msg = { zh: string; en: string };

/** A message for every named constraint of migrations/ (test/refusals.test.ts reads the
 *  migration files and checks that none is missing) and for those raised by name from
 *  triggers (`RAISE … CONSTRAINT = '…'`). */
export const CONSTRAINTS: Record<string, Msg> = {
  // parks
  parks_pocket_is_garden: { zh: '只有游园可以标为口袋公园：请取消“口袋公园”或把类别改为游园', en: 'Only a garden can be a pocket park: untick “Pocket park” or make the class garden' },
  parks_class_known: { zh: '公园类别须为综合公园、社区公园、专类公园、游园或广场', en: 'The park class must be comprehensive, community, specialized, garden or square' },
  parks_open_status_known: { zh: '开放状态须为开放、共享开放或不开放', en: 'The open status must be open, shared or closed' },
  parks_name_required: { zh: '公园须有名称', en: 'A park needs a name' },
  // facilities
  facilities_floor_area_nonnegative: { zh: '设施建筑面积须在 0 至 1000 万 m² 之间', en: 'A facility\'s floor area must be between 0 and 10 million m²' },
  facilities_capacity_range: { zh: '设施规模（容量）须在 0 至 10 亿之间', en: 'A facility\'s capacity must be between 0 and one billion' },
  facilities_category_source: { zh: '该设施类别由其他图层派生（如公园绿地、广场），不能作为设施点放置', en: 'This category is derived from another layer (such as parks and squares) and cannot be placed as a facility' },
  facilities_category_fkey: { zh: '设施类别不存在', en: 'No such facility category' },
  // residential land
  residential_land_population_nonnegative: { zh: '居住用地人口不能为负数', en: 'The population of residential land cannot be negative' },
  residential_land_households_nonnegative: { zh: '居住用地户数不能为负数', en: 'The households of residential land cannot be negative' },
  residential_land_households_le_population: { zh: '户数不能多于人口', en: 'Households cannot outnumber the population' },
  residential_land_landuse_code_residential: { zh: '用地类型须为居住用地（以 07 开头的国土空间用地代码）', en: 'The land use must be residential (a land-use code starting 07)' },
  // walking network
  network_edges_topology_complete: { zh: '道路的起点与终点节点须同时给出或同时省略', en: 'A road needs both its start and end node, or neither' },
  network_edges_length_positive: { zh: '道路长度须大于 0：起点与终点不能重合', en: 'A road must be longer than 0: its ends cannot coincide' },
  network_edges_highway_format: { zh: '道路等级代码须为 1–40 个小写字母或下划线', en: 'The road class must be 1–40 lower-case letters or underscores' },
  // planning layers
  eco_corridors_name_required: { zh: '生态廊道须有名称', en: 'An ecological corridor needs a name' },
  eco_corridors_kind_known: { zh: '廊道类型须为滨河、绿化、山体、通风或其他', en: 'The corridor kind must be river, green, mountain, wind or other' },
  eco_corridors_design_width_positive: { zh: '廊道设计宽度须大于 0 且小于 100 km', en: 'The corridor\'s design width must be above 0 and below 100 km' },
  eco_redlines_name_required: { zh: '生态保护红线图斑须有名称', en: 'An ecological red-line area needs a name' },
  basic_farmland_name_required: { zh: '永久基本农田图斑须有名称', en: 'A permanent basic farmland area needs a name' },
  growth_boundaries_edition_required: { zh: '城镇开发边界须注明版本', en: 'A growth boundary needs an edition' },
  growth_boundaries_edition_unique: { zh: '该城镇开发边界版本已存在', en: 'This growth-boundary edition exists already' },
  growth_boundaries_validity_ordered: { zh: '失效日期须晚于生效日期', en: 'The end of validity must come after its start' },
  growth_boundaries_approved_before_valid: { zh: '批复日期不能晚于生效日期', en: 'The approval cannot come after the start of validity' },
  // administrative areas
  districts_name_required: { zh: '区/旗/县须有名称', en: 'A district needs a name' },
  districts_kind_known: { zh: '行政区类型须为区、旗、县或县级市', en: 'A district must be a district, banner, county or county-level city' },
  districts_adcode_format: { zh: '区县行政区划代码须为 6 位数字', en: 'A district\'s administrative code has 6 digits' },
  districts_adcode_unique: { zh: '本市已有该行政区划代码的区县', en: 'The city has a district with this code already' },
  subdistricts_name_required: { zh: '街道须有名称', en: 'A subdistrict needs a name' },
  subdistricts_code_format: { zh: '街道代码须为 9–12 位数字', en: 'A subdistrict code has 9–12 digits' },
  subdistricts_code_unique: { zh: '本市已有该代码的街道', en: 'The city has a subdistrict with this code already' },
  communities_name_required: { zh: '社区须有名称', en: 'A community needs a name' },
  communities_code_format: { zh: '社区代码须为 12 位数字', en: 'A community code has 12 digits' },
  communities_code_unique: { zh: '本市已有该代码的社区', en: 'The city has a community with this code already' },
  communities_population_nonnegative: { zh: '社区人口不能为负数', en: 'A community\'s population cannot be negative' },
  communities_households_nonnegative: { zh: '社区户数不能为负数', en: 'A community\'s households cannot be negative' },
  communities_households_le_population: { zh: '社区户数不能多于人口', en: 'A community\'s households cannot outnumber its population' },
  community_age_population_nonnegative: { zh: '各年龄段人口不能为负数', en: 'The population of an age band cannot be negative' },
  // cities and every feature
  feature_city_exists: { zh: '所属城市不存在', en: 'The city does not exist' },
  cities_slug_unique: { zh: '该城市标识已被使用', en: 'This city id is taken' },
  cities_slug_format: { zh: '城市标识须以小写字母开头，由小写字母、数字、- 或 _ 组成', en: 'A city id starts with a lower-case letter, then letters, digits, - or _' },
  cities_name_required: { zh: '城市须有名称', en: 'A city needs a name' },
  cities_adcode_format: { zh: '城市行政区划代码须为 1–12 位字母或数字', en: 'A city\'s code has 1–12 letters or digits' },
  cities_geom_valid: { zh: '城市边界图形无效', en: 'The city boundary is not a valid geometry' },
  cities_default_caliber_format: { zh: '默认口径标识格式不正确', en: 'The default caliber id is malformed' },
  feature_history_op_known: { zh: '变更记录的操作须为新增、修改或删除', en: 'A history entry is an insert, update or delete' },
  feature_history_append_only: { zh: '变更记录只能追加，不能修改或删除', en: 'The history can only be appended to, never changed' },
  // facility categories and age bands
  facility_categories_code_format: { zh: '设施类别代码须为小写字母、数字或下划线', en: 'A category code is lower-case letters, digits or underscores' },
  facility_categories_reach_positive: { zh: '设施类别的步行距离须大于 0', en: 'A category\'s walking reach must be above 0' },
  facility_categories_source_known: { zh: '设施类别的来源须为设施或公园', en: 'A category comes from facilities or parks' },
  facility_categories_source_in_use: { zh: '该设施类别已有设施点使用，不能改为派生类别', en: 'Facilities use this category: it cannot become a derived one' },
  facility_categories_capacity_norm_range: { zh: '设施类别的容量标准（每千人）须大于 0 且小于 10 亿', en: 'A category\'s capacity norm (per 1,000 residents) must be above 0 and below one billion' },
  facility_categories_capacity_norm_basis_known: { zh: '容量标准的人口口径须为服务年龄段（bands）或全部常住人口（residents）', en: 'A capacity norm is per 1,000 residents of the served age bands (bands) or of all residents (residents)' },
  facility_categories_capacity_norm_source_length: { zh: '容量标准的出处说明不能超过 500 个字符', en: 'The source of a capacity norm cannot exceed 500 characters' },
  age_bands_code_format: { zh: '年龄段代码格式应如 0-3 或 60-', en: 'An age band code looks like 0-3 or 60-' },
  age_bands_code_matches: { zh: '年龄段代码须与起止年龄一致', en: 'An age band code must match its ages' },
  age_bands_ages_ordered: { zh: '年龄段的起止年龄须在 0–150 岁之间且由小到大', en: 'An age band\'s ages are 0–150, the upper above the lower' },
  // scenarios
  scenarios_name_required: { zh: '方案须有名称（不超过 200 字）', en: 'A scenario needs a name of at most 200 characters' },
  scenarios_description_length: { zh: '方案说明不能超过 4000 字', en: 'A scenario description has at most 4000 characters' },
  scenarios_owner_required: { zh: '方案须有所有者', en: 'A scenario needs an owner' },
  scenarios_promotion_complete: { zh: '方案的应用时间与应用人须同时记录', en: 'A promotion records both when and by whom' },
  scenario_changes_n_positive: { zh: '变更编号须为正整数', en: 'A change number is a positive integer' },
  scenario_changes_layer_known: { zh: '方案不能修改该图层', en: 'Scenarios cannot change this layer' },
  scenario_changes_op_known: { zh: '变更操作须为新增、修改或删除', en: 'A change adds, modifies or deletes' },
  scenario_changes_target: { zh: '新增要素不带目标编号，修改和删除必须给出目标编号', en: 'An addition has no target id; a modify or delete needs one' },
  scenario_changes_add_has_geometry: { zh: '新增要素须有图形', en: 'An added feature needs a geometry' },
  scenario_changes_delete_is_bare: { zh: '删除操作不带图形和属性', en: 'A delete carries no geometry or properties' },
  // park gates and opening hours (migration 0025)
  park_entrances_status_known: { zh: '出入口状态须为开放或关闭', en: 'A gate is open or closed' },
  park_entrances_open_hours_length: { zh: '出入口开放时间不能超过 200 个字符', en: 'A gate\'s opening hours are at most 200 characters' },
  parks_open_hours_length: { zh: '公园开放时间不能超过 200 个字符', en: 'A park\'s opening hours are at most 200 characters' },
  // jobs shared by the processes (migration 0023; written by the service, not by a user)
  jobs_id_format: { zh: '任务标识格式不正确', en: 'The job id is malformed' },
  jobs_status_known: { zh: '任务状态未知', en: 'Unknown job status' },
  jobs_progress_range: { zh: '任务进度须在 0–100 之间', en: 'Job progress is between 0 and 100' },
  jobs_attempts_range: { zh: '任务尝试次数不正确', en: 'The job\'s attempt counts are out of range' },
  jobs_running_has_worker: { zh: '运行中的任务须有执行进程和租约', en: 'A running job has a worker and a lease' },
  jobs_finished_when_ended: { zh: '任务结束时须记录结束时间', en: 'An ended job records when it ended' },
  // data editions, targets, runs, tokens, calibers
  data_editions_name_unique: { zh: '该数据版本名称已存在', en: 'A data edition of this name exists already' },
  data_editions_name_format: { zh: '数据版本名称须为不超过 100 字、不含控制字符的文字', en: 'An edition name is at most 100 characters without control characters' },
  data_editions_description_length: { zh: '数据版本说明不能超过 4000 字', en: 'An edition description has at most 4000 characters' },
  data_editions_created_by_required: { zh: '数据版本须记录创建人', en: 'An edition records who made it' },
  data_editions_publication_complete: { zh: '发布时间与发布人须同时记录', en: 'A publication records both when and by whom' },
  data_editions_as_of_not_future: { zh: '数据版本的截至时间不能晚于现在', en: 'An edition cannot be as of a future time' },
  data_editions_published_immutable: { zh: '已发布的数据版本不能修改', en: 'A published edition cannot change' },
  indicator_targets_indicator_format: { zh: '指标标识格式不正确', en: 'The indicator id is malformed' },
  indicator_targets_year_range: { zh: '目标年份须在 1949–2100 年之间', en: 'A target year is between 1949 and 2100' },
  indicator_targets_value_finite: { zh: '目标值须为有限数值', en: 'A target value must be finite' },
  coverage_runs_method_known: { zh: '距离方法须为直线缓冲或步行网络', en: 'The method is buffer or network' },
  coverage_runs_covered_le_total: { zh: '覆盖面积不能大于居住用地总面积', en: 'The covered area cannot exceed the total' },
  coverage_gaps_id_key: { zh: '服务盲区编号重复', en: 'A gap id is repeated' },
  coverage_areas_level_known: { zh: '统计层级须为全市、区县、街道或社区', en: 'The level is city, district, subdistrict or community' },
  city_layers_layer_format: { zh: '图层标识格式不正确', en: 'The layer id is malformed' },
  city_layers_rows_nonnegative: { zh: '图层要素数不能为负数', en: 'A layer\'s row count cannot be negative' },
  caliber_definitions_id_format: { zh: '口径标识须以小写字母开头，2–63 个字符', en: 'A caliber id starts with a lower-case letter, 2–63 characters' },
  caliber_definitions_id_matches: { zh: '口径定义中的标识须与口径标识一致', en: 'The definition\'s id must be the caliber id' },
  api_tokens_name_format: { zh: '令牌名称须为字母、数字或 ._@-，不超过 64 个字符', en: 'A token name is letters, digits or ._@-, at most 64 characters' },
  api_tokens_role_known: { zh: '令牌角色须为查看、编辑或管理', en: 'A token role is viewer, editor or admin' },
  api_tokens_secret_is_sha256: { zh: '令牌密钥摘要格式不正确', en: 'The token secret digest is malformed' },
  api_tokens_secret_unique: { zh: '令牌密钥重复', en: 'The token secret is repeated' },
  api_tokens_expires_after_creation: { zh: '令牌的失效时间须晚于创建时间', en: 'A token must expire after it was made' },
};

/** Constraints every feature table has under its own name: `<table><suffix>`
 *  (migrations 0002's cityreach_feature_table and 0016's extent trigger). {layer} is the
 *  layer's name; {where} the point outside the extent when the server gives it. */
export const TABLE_CONSTRAINTS: Record<string, Msg> = {
  _geom_not_empty: { zh: '{layer}图形为空', en: 'The {layer} geometry is empty' },
  _geom_valid: { zh: '{layer}图形无效（自相交或环不闭合等）', en: 'The {layer} geometry is not valid (self-intersecting, unclosed ring, …)' },
  _geom_in_range: { zh: '{layer}坐标超出经纬度范围（经度 ±180°，纬度 ±90°）', en: 'The {layer} coordinates are outside longitude ±180°, latitude ±90°' },
  _geom_in_city_extent: { zh: '{layer}位于本市范围（边界外扩 50 km）以外{where}', en: 'The {layer} lies outside the city (its boundary\'s box widened by 50 km){where}' },
  _city_id_fkey: { zh: '所属城市不存在', en: 'The city does not exist' },
};

/** ST_IsValidDetail's reasons (GEOS IsValidOp). */
export const GEOMETRY_REASONS: Record<string, Msg> = {
  'Self-intersection': { zh: '图形自相交：边线交叉，请按顺序点击各顶点、不要交叉', en: 'The shape crosses itself: click the corners in order without crossing' },
  'Ring Self-intersection': { zh: '图形的边界自身相交于一点', en: 'The outline touches itself at a point' },
  'Too few points in geometry component': { zh: '图形顶点太少：面至少需要三个不同的顶点', en: 'Too few points: a polygon needs at least three distinct corners' },
  'Too few distinct points in geometry component': { zh: '图形顶点太少：面至少需要三个不同的顶点', en: 'Too few points: a polygon needs at least three distinct corners' },
  'Repeated Point': { zh: '图形含重复顶点', en: 'The shape repeats a point' },
  'Hole lies outside shell': { zh: '内环位于外环之外', en: 'A hole lies outside the outline' },
  'Holes are nested': { zh: '内环相互嵌套', en: 'Holes are nested' },
  'Interior is disconnected': { zh: '图形内部不连通', en: 'The interior is disconnected' },
  'Nested shells': { zh: '外环相互嵌套', en: 'Outlines are nested' },
  'Duplicate Rings': { zh: '图形含重复的环', en: 'The shape repeats a ring' },
  'Invalid Coordinate': { zh: '坐标无效（非数值）', en: 'A coordinate is not a number' },
  'Ring is not closed': { zh: '环未闭合', en: 'A ring is not closed' },
};

export const KINDS: Record<number, Msg> = {
  400: { zh: '请求有误', en: 'The request is malformed' },
  401: { zh: '需要登录或有效的令牌', en: 'A valid token is needed' },
  403: { zh: '该令牌无权执行此操作（需要编辑权限，或不是方案的所有者）', en: 'This token may not do that (an editor, or the scenario\'s owner, is needed)' },
  404: { zh: '所指的方案或要素不存在', en: 'The scenario or feature does not exist' },
  409: { zh: '与当前状态冲突（方案已应用，或所改要素已被修改）', en: 'It conflicts with the current state (the scenario is promoted, or the feature changed)' },
  413: { zh: '请求过大', en: 'The request is too large' },
  422: { zh: '内容不能接受', en: 'The content cannot be used' },
  429: { zh: '请求过多，请稍后再试', en: 'Too many requests: try again shortly' },
  503: { zh: '服务暂不可用，请稍后再试', en: 'The service is unavailable: try again shortly' },
  504: { zh: '计算超时', en: 'The computation timed out' },
};

export const ATTR: Record<string, Msg> = {
  required: { zh: '缺少必填属性“{attr}”', en: 'The attribute “{attr}” is required' },
  unknown: { zh: '该图层没有属性“{attr}”', en: 'The layer has no attribute “{attr}”' },
  invalid: { zh: '属性“{attr}”的取值不被接受', en: 'The value of “{attr}” is not accepted' },
  geometry: { zh: '图形类型与图层不符', en: 'The geometry type does not fit the layer' },
};

const prefixed = (prefix: string, t: Record<string | number, Msg>) => Object.fromEntries(Object.entries(t).map(([k, v]) => [prefix + k, v]));

/** Every refusal string, keyed as the i18n table keys them. */
export const REFUSAL_STRINGS: Record<string, Msg> = {
  ...prefixed('con.', CONSTRAINTS), ...prefixed('con.table.', TABLE_CONSTRAINTS), ...prefixed('geom.', GEOMETRY_REASONS),
  ...prefixed('refuse.kind.', KINDS), ...prefixed('refuse.attr.', ATTR),
  'refuse.rule': { zh: '违反数据规则 {name}', en: 'It breaks the rule {name}' },
  'refuse.server': { zh: '服务器说明（未翻译）：{detail}', en: 'the server says: {detail}' },
  'refuse.invalidGeometry': { zh: '图形无效', en: 'Invalid geometry' },
  'refuse.at': { zh: '（位置 {x}, {y}）', en: ' (at {x}, {y})' },
  'refuse.reaches': { zh: '（最远处 {x}, {y}）', en: ' (it reaches {x}, {y})' },
};
