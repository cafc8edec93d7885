// Every string the UI shows, in Chinese (the default) and English. A key missing in either
// language fails the unit tests; t() falls back to the key itself so a gap is visible, never blank.

export type Lang = 'zh' | 'en';

type Table = Record<string, { zh: string; en: string }>;

export const STRINGS: Table = {
  'app.title': { zh: '城市可达 · 包头规划一张图', en: 'cityreach · Baotou planning map' },
  'app.skip': { zh: '跳到地图', en: 'Skip to map' },
  'app.lang': { zh: 'English', en: '中文' },
  'app.langLabel': { zh: '切换为英文', en: 'Switch to Chinese' },
  'app.synthetic': { zh: '示例数据', en: 'synthetic' },
  'app.syntheticBanner': { zh: '地图含示例数据（生成数据），非调查数据', en: 'The map shows synthetic (generated) data, not survey data' },
  'app.panel': { zh: '面板', en: 'Panel' },
  'app.panelToggle': { zh: '显示/隐藏面板', en: 'Show or hide the panel' },
  'app.offline': { zh: '离线运行：不请求任何外部资源', en: 'Runs offline: no external requests' },

  'tab.layers': { zh: '图层', en: 'Layers' },
  'tab.indicators': { zh: '指标', en: 'Indicators' },
  'tab.tools': { zh: '工具', en: 'Tools' },

  'state.loading': { zh: '加载中…', en: 'Loading…' },
  'state.unavailable': { zh: '暂无数据（接口尚未提供）', en: 'Not available yet (the service does not offer it yet)' },
  'state.error': { zh: '加载失败', en: 'Failed to load' },
  'state.empty': { zh: '无结果', en: 'No results' },

  'layers.heading': { zh: '图层与图例', en: 'Layers and legend' },
  'layers.basemap': { zh: '底图', en: 'Base map' },
  'layers.planning': { zh: '规划图层', en: 'Planning layers' },
  'layers.analysis': { zh: '分析图层', en: 'Analysis layers' },
  'layer.districts': { zh: '区/旗/县', en: 'Districts' },
  'layer.subdistricts': { zh: '街道', en: 'Subdistricts (街道)' },
  'layer.communities': { zh: '社区', en: 'Communities' },
  'layer.parks': { zh: '公园绿地', en: 'Parks' },
  'layer.park_entrances': { zh: '公园出入口', en: 'Park entrances' },
  'layer.eco_corridors': { zh: '生态廊道', en: 'Ecological corridors' },
  'layer.eco_redlines': { zh: '生态保护红线', en: 'Ecological red line' },
  'layer.basic_farmland': { zh: '永久基本农田', en: 'Permanent basic farmland' },
  'layer.growth_boundaries': { zh: '城镇开发边界', en: 'Urban growth boundary' },
  'layer.residential_land': { zh: '居住用地', en: 'Residential land' },
  'layer.facilities': { zh: '生活服务设施', en: 'Facilities' },
  'layer.network_edges': { zh: '步行网络', en: 'Walking network' },
  'layer.water': { zh: '水系', en: 'Water' },
  'layer.gaps': { zh: '公园服务盲区', en: 'Park coverage gaps' },
  'layer.sites': { zh: '口袋公园候选点', en: 'Pocket-park candidate sites' },
  'layer.choropleth': { zh: '社区指标分级图', en: 'Communities by indicator' },
  'layer.isochrones': { zh: '步行等时圈', en: 'Walking isochrones' },
  'layer.growthDiff': { zh: '开发边界变化', en: 'Growth-boundary change' },

  'popup.title': { zh: '要素属性', en: 'Feature attributes' },
  'popup.close': { zh: '关闭', en: 'Close' },
  'popup.layer': { zh: '图层', en: 'Layer' },

  'search.label': { zh: '搜索社区或公园', en: 'Search a community or park' },
  'search.placeholder': { zh: '输入社区或公园名称', en: 'Community or park name' },
  'search.button': { zh: '搜索', en: 'Search' },
  'search.results': { zh: '搜索结果', en: 'Results' },

  'ind.coverage': { zh: '公园绿地服务半径覆盖率', en: 'Park service-radius coverage' },
  'ind.caliber': { zh: '口径', en: 'Caliber' },
  'ind.method': { zh: '距离方法', en: 'Distance method' },
  'ind.method.buffer': { zh: '直线缓冲', en: 'Euclidean buffer' },
  'ind.method.network': { zh: '步行网络', en: 'Walking network' },
  'ind.city': { zh: '全市', en: 'City' },
  'ind.areaRatio': { zh: '居住用地面积覆盖率', en: 'Residential-area coverage' },
  'ind.popShare': { zh: '人口覆盖率', en: 'Population coverage' },
  'ind.target2030': { zh: '2030年目标', en: '2030 target' },
  'ind.byDistrict': { zh: '分区覆盖率', en: 'Coverage by district' },
  'ind.gap': { zh: '距目标', en: 'To target' },
  'ind.showGaps': { zh: '显示服务盲区', en: 'Show coverage gaps' },
  'ind.sites': { zh: '口袋公园候选点', en: 'Pocket-park candidate sites' },
  'ind.showSites': { zh: '显示候选点', en: 'Show candidate sites' },
  'ind.sitesN': { zh: '候选数量', en: 'Number of sites' },
  'ind.siteGain': { zh: '新增覆盖', en: 'Gain' },
  'ind.reach': { zh: '累计可达', en: 'Coverage reached' },
  'ind.under': { zh: '口径 {cal}（{calFrom}）· 方法 {method}（{methodFrom}）', en: 'Caliber {cal} ({calFrom}) · method {method} ({methodFrom})' },
  'from.request': { zh: '所选', en: 'chosen' },
  'from.city default': { zh: '本市默认口径', en: "the city's default" },
  'from.caliber default': { zh: '该口径默认方法', en: "the caliber's default" },
  'ind.sitePark': { zh: '每处按{park}{area}计，服务半径 {r} m（在“方案推演”中照此绘制可得相同结果）', en: 'Each site is a {park} of {area}, radius {r} m (draw it so in Scenarios to get the same figure)' },
  'park.comprehensive': { zh: '综合公园', en: 'comprehensive park' },
  'park.community': { zh: '社区公园', en: 'community park' },
  'park.specialized': { zh: '专类公园', en: 'specialized park' },
  'park.garden': { zh: '游园', en: 'garden (游园)' },
  'park.square': { zh: '广场', en: 'square' },
  'park.pocket': { zh: '口袋公园（游园）', en: 'pocket park (游园)' },
  'why.class': { zh: '该口径不计{cls}，所绘公园不增加覆盖', en: 'This caliber does not count a {cls}: the park adds nothing' },
  'why.pocket': { zh: '该口径不计口袋公园，所绘公园不增加覆盖；可取消“口袋公园”或改选其他类别', en: 'This caliber does not count pocket parks: the park adds nothing; untick “Pocket park” or choose another class' },
  'why.status': { zh: '该口径不计开放状态为“{status}”的公园，所绘公园不增加覆盖', en: 'This caliber does not count parks that are “{status}”: the park adds nothing' },
  'why.small': { zh: '该口径只计面积不小于 {min} m² 的公园，所绘公园约 {area} m²，不增加覆盖', en: 'This caliber counts parks of {min} m² and more; the park is about {area} m² and adds nothing' },
  'ind.livingCircle': { zh: '15分钟生活圈', en: '15-minute living circle' },
  'ind.categories': { zh: '各类设施覆盖率', en: 'Coverage by facility category' },
  'ind.completeCircles': { zh: '完整15分钟生活圈', en: 'Complete 15-minute circles' },
  'ind.completeCommunities': { zh: '完整社区', en: 'Complete communities' },
  'ind.ofTarget': { zh: '目标 {target} 个', en: 'target {target}' },
  'ind.corridors': { zh: '生态廊道达标率', en: 'Ecological corridors meeting width' },
  'ind.growthCheck': { zh: '三线冲突检查', en: 'Three control lines check' },
  'ind.overlaps': { zh: '冲突图斑', en: 'Overlaps' },
  'ind.choropleth': { zh: '社区分级图', en: 'Communities choropleth' },
  'ind.choroplethBy': { zh: '按指标着色', en: 'Colour communities by' },
  'ind.none': { zh: '不着色', en: 'None' },
  'ind.communityCoverage': { zh: '公园覆盖率（社区）', en: 'Park coverage (community)' },
  'ind.communityPopCoverage': { zh: '公园人口覆盖率（社区）', en: 'Park population coverage (community)' },
  'ind.communityCategories': { zh: '生活圈已达设施类别数', en: 'Living-circle categories reached' },
  'ind.noValue': { zh: '无数值', en: 'No value' },
  'ind.unit.count': { zh: '个', en: '' },

  'tool.isochrone': { zh: '步行等时圈', en: 'Walking isochrones' },
  'tool.isoHelp': { zh: '开启后点击地图任意位置，计算5/10/15分钟步行范围', en: 'Switch on, then click the map: 5/10/15-minute walking reach' },
  'tool.isoStart': { zh: '开始选点', en: 'Pick a point' },
  'tool.isoStop': { zh: '结束选点', en: 'Stop picking' },
  'tool.isoCentre': { zh: '以地图中心计算', en: 'Use the map centre' },
  'tool.isoClear': { zh: '清除', en: 'Clear' },
  'tool.minutes': { zh: '{m}分钟', en: '{m} min' },
  'tool.reached': { zh: '可达设施（按类别）', en: 'Facilities reached, by category' },
  'tool.none': { zh: '无可达设施', en: 'No facility reached' },
  'tool.growth': { zh: '城镇开发边界版本对比', en: 'Growth-boundary editions' },
  'tool.editionA': { zh: '版本A', en: 'Edition A' },
  'tool.editionB': { zh: '版本B', en: 'Edition B' },
  'tool.show': { zh: '显示', en: 'Show' },
  'tool.showA': { zh: '仅A', en: 'A only' },
  'tool.showB': { zh: '仅B', en: 'B only' },
  'tool.showBoth': { zh: '叠加', en: 'Both' },
  'tool.swipe': { zh: '卷帘', en: 'Swipe' },
  'tool.added': { zh: '新增', en: 'Added' },
  'tool.removed': { zh: '减少', en: 'Removed' },
  'tool.changed': { zh: '变化面积', en: 'Changed area' },
  'tool.noEditions': { zh: '不足两个版本', en: 'Fewer than two editions' },
  'scn.title': { zh: '方案推演', en: 'Scenarios' },
  'scn.help': { zh: '填写编辑令牌，绘制公园（点击各顶点，双击或点“完成”结束）或放置设施，查看覆盖率变化', en: 'Enter an editor token, draw a park (click the corners; double-click or Finish closes it) or place a facility, and see the coverage change' },
  'scn.token': { zh: '令牌', en: 'Token' },
  'scn.name': { zh: '方案名称', en: 'Scenario name' },
  'scn.create': { zh: '新建方案', en: 'New scenario' },
  'scn.current': { zh: '当前方案：{name}（#{id}）', en: 'Current scenario: {name} (#{id})' },
  'scn.none': { zh: '尚无方案：首次绘制时自动新建', en: 'No scenario yet: the first drawing creates one' },
  'scn.parkClass': { zh: '公园类别', en: 'Park class' },
  'scn.pocket': { zh: '口袋公园（仅游园）', en: 'Pocket park (gardens only)' },
  'scn.refused': { zh: '未加入方案（图形仍保留在地图上）：{reason}', en: 'Not added (the shape stays on the map): {reason}' },
  'scn.drawPark': { zh: '绘制公园', en: 'Draw a park' },
  'scn.finish': { zh: '完成', en: 'Finish' },
  'scn.category': { zh: '设施类别', en: 'Facility category' },
  'scn.placeFacility': { zh: '放置设施', en: 'Place a facility' },
  'scn.promote': { zh: '应用到现状（编辑）', en: 'Promote to baseline (editor)' },
  'scn.promoted': { zh: '已应用', en: 'promoted' },
  'scn.added': { zh: '已加入方案', en: 'Added to the scenario' },
  'scn.delta': { zh: '公园服务半径覆盖率：现状 → 方案', en: 'Park coverage: baseline → scenario' },
  'scn.pp': { zh: '个百分点', en: 'pp' },
  'scn.newly': { zh: '新增覆盖用地', en: 'Newly covered land' },
  'scn.circle': { zh: '15分钟生活圈：现状 → 方案', en: '15-minute living circle: baseline → scenario' },
  'scn.completeCommunities': { zh: '完整生活圈社区', en: 'Complete communities' },
  'scn.becameComplete': { zh: '变为完整', en: 'Become complete' },
  'scn.becameIncomplete': { zh: '不再完整', en: 'No longer complete' },
  'scn.circleUnchanged': { zh: '各类设施的步行可达覆盖率不变', en: 'No category\'s walking reach changes' },
  'scn.undo': { zh: '撤销上一项', en: 'Undo last change' },
  'scn.undone': { zh: '已撤销', en: 'Change removed' },
  'scn.list': { zh: '已保存的方案', en: 'Saved scenarios' },
  'scn.nChanges': { zh: '{n}项变更', en: '{n} changes' },
  'scn.defaultName': { zh: '未命名方案', en: 'Untitled scenario' },
  'scn.defaultPark': { zh: '规划口袋公园', en: 'Planned pocket park' },
  'scn.planned': { zh: '规划', en: 'planned' },

  'cat.community_service': { zh: '社区服务站', en: 'Community service station' },
  'cat.park_square': { zh: '公园绿地、广场', en: 'Parks and squares' },
  'cat.clinic': { zh: '社区卫生服务站', en: 'Clinic' },
  'cat.middle_school': { zh: '初中', en: 'Middle school' },
  'cat.primary_school': { zh: '小学', en: 'Primary school' },
  'cat.kindergarten': { zh: '幼儿园', en: 'Kindergarten' },
  'cat.nursery': { zh: '托育', en: 'Nursery' },
  'cat.vegetable_market': { zh: '菜市场', en: 'Vegetable market' },
  'cat.elderly_care': { zh: '养老服务', en: 'Elderly care' },
  'cat.culture': { zh: '文化活动', en: 'Culture' },
  'cat.sports': { zh: '体育健身', en: 'Sports' },
  'cat.activity_ground': { zh: '活动场地', en: 'Activity ground' },
  'cat.convenience_store': { zh: '便利店', en: 'Convenience store' },
  'cat.supermarket': { zh: '超市', en: 'Supermarket' },
  'cat.breakfast': { zh: '早餐店', en: 'Breakfast' },
  'cat.pharmacy': { zh: '药店', en: 'Pharmacy' },
  'cat.post_express': { zh: '邮政快递', en: 'Post and express' },
  'cat.household_services': { zh: '家政服务', en: 'Household services' },
  'cat.canteen': { zh: '社区食堂', en: 'Canteen' },
  'cat.transit_stop': { zh: '公交站', en: 'Transit stop' },
  'cat.rail_station': { zh: '轨道站点', en: 'Rail station' },

  'attr.id': { zh: '编号', en: 'ID' },
  'attr.name': { zh: '名称', en: 'Name' },
  'attr.park_class': { zh: '公园类别', en: 'Park class' },
  'attr.area_m2': { zh: '面积(m²)', en: 'Area (m²)' },
  'attr.population': { zh: '人口', en: 'Population' },
  'attr.features': { zh: '合并要素数（12级及以下）', en: 'Features merged (zoom 12 and below)' },
  'attr.category': { zh: '类别', en: 'Category' },
  'attr.edition': { zh: '版本', en: 'Edition' },
  'attr.data_source': { zh: '数据来源', en: 'Data source' },
  'attr.synthetic': { zh: '示例数据', en: 'Synthetic' },
  'attr.minutes': { zh: '分钟', en: 'Minutes' },
  'attr.rank': { zh: '排名', en: 'Rank' },
  'attr.gain_m2': { zh: '新增覆盖(m²)', en: 'Gain (m²)' },
  'yes': { zh: '是', en: 'yes' },
  'no': { zh: '否', en: 'no' },
};

export type Key = keyof typeof STRINGS;

/** A translator bound to one language. */
export interface I18n {
  lang: Lang;
  t(key: string, params?: Record<string, string | number>): string;
}

/** Returns the string for key in lang, with {name} placeholders filled from params. */
export function translate(lang: Lang, key: string, params?: Record<string, string | number>): string {
  const e = STRINGS[key];
  let s = e ? e[lang] : key;
  if (params) for (const [k, v] of Object.entries(params)) s = s.split(`{${k}}`).join(String(v));
  return s;
}

export function makeI18n(lang: Lang): I18n {
  return { lang, t: (k, p) => translate(lang, k, p) };
}

/** The language to start in: ?lang=, then the last choice, then Chinese. */
export function initialLang(search: string, stored: string | null): Lang {
  const q = new URLSearchParams(search).get('lang');
  if (q === 'en' || q === 'zh') return q;
  if (stored === 'en' || stored === 'zh') return stored;
  return 'zh';
}

/** Sets the text of every [data-i18n] element under root (and aria-label/placeholder/title variants). */
export function applyI18n(root: ParentNode, i: I18n): void {
  root.querySelectorAll<HTMLElement>('[data-i18n]').forEach((el) => (el.textContent = i.t(el.dataset.i18n!)));
  for (const attr of ['aria-label', 'placeholder', 'title'] as const) {
    root.querySelectorAll<HTMLElement>(`[data-i18n-${attr}]`).forEach((el) => el.setAttribute(attr, i.t(el.getAttribute(`data-i18n-${attr}`)!)));
  }
}
