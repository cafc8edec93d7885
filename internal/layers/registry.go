// Package layers is the registry of the planning layers: the allow-list of tables,
// attributes and geometry types that every SQL builder in cityreach consults before it
// names an identifier. Nothing outside this registry ever reaches SQL as an identifier.
package layers

import (
	"sort"

	"github.com/jackc/pgx/v5"
)

// Type is an attribute's value type as clients see it.
type Type string

// The attribute types.
const (
	String  Type = "string"
	Integer Type = "integer"
	Number  Type = "number"
	Boolean Type = "boolean"
	Date    Type = "date"
	Time    Type = "date-time"
)

// Attribute is one column clients may read (and, unless ReadOnly, write).
type Attribute struct {
	Name     string
	Type     Type
	Required bool     // must be given on create
	ReadOnly bool     // maintained by the database
	Enum     []string // allowed values, when a controlled vocabulary applies
	Min, Max *float64 // inclusive numeric bounds
	Sortable bool
	// Format, for a string, names a syntax the writers check (FormatOpeningHours).
	Format  string
	TitleZH string
	TitleEN string
}

// FormatOpeningHours is the opening-hours subset internal/openness parses.
const FormatOpeningHours = "opening_hours"

// Layer is one feature table.
type Layer struct {
	ID       string // URL name, equal to the table name
	TitleZH  string
	TitleEN  string
	GeomType string // PostGIS type of the geom column: MultiPolygon, Point or LineString
	// Attributes are the layer's own columns plus the shared ones, in output order.
	Attributes []Attribute
	// Temporal names the validity columns of a versioned layer ("valid_from", "valid_to"),
	// empty otherwise.
	ValidFrom, ValidTo string
}

// Table is the quoted table identifier, safe to splice into SQL.
// ParseBool reads a boolean filter value as the layers API and OGC API take it: true or
// false, or 1 or 0 as GDAL's OAPIF driver (and QGIS through it) writes an OGR boolean
// field compared with an integer (`pocket = 1` becomes ?pocket=1).
func ParseBool(s string) (value, ok bool) {
	switch s {
	case "true", "1":
		return true, true
	case "false", "0":
		return false, true
	}
	return false, false
}

func (l *Layer) Table() string { return pgx.Identifier{l.ID}.Sanitize() }

// Attr returns the attribute called name, or nil when the layer has none: the allow-list check.
func (l *Layer) Attr(name string) *Attribute {
	for i := range l.Attributes {
		if l.Attributes[i].Name == name {
			return &l.Attributes[i]
		}
	}
	return nil
}

// Column quotes an attribute name after checking it against the allow-list; ok is false
// for any name the layer does not have.
func (l *Layer) Column(name string) (string, bool) {
	if l.Attr(name) == nil {
		return "", false
	}
	return pgx.Identifier{name}.Sanitize(), true
}

// Writable lists the attributes a client may set.
func (l *Layer) Writable() []Attribute {
	var out []Attribute
	for _, a := range l.Attributes {
		if !a.ReadOnly {
			out = append(out, a)
		}
	}
	return out
}

// Registry is the immutable set of layers.
type Registry struct {
	byID  map[string]*Layer
	order []string
}

// Lookup returns the layer called id, or nil.
func (r *Registry) Lookup(id string) *Layer { return r.byID[id] }

// All returns the layers in a stable order.
func (r *Registry) All() []*Layer {
	out := make([]*Layer, 0, len(r.order))
	for _, id := range r.order {
		out = append(out, r.byID[id])
	}
	return out
}

func f(v float64) *float64 { return &v }

// shared are the columns every feature table has (see cityreach_feature_table in the migrations).
func shared() []Attribute {
	return []Attribute{
		{Name: "city_id", Type: Integer, Required: true, Min: f(1), Sortable: true, TitleZH: "城市", TitleEN: "City"},
		{Name: "data_source", Type: String, Sortable: true, TitleZH: "数据来源", TitleEN: "Data source"},
		{Name: "synthetic", Type: Boolean, TitleZH: "示例数据", TitleEN: "Synthetic"},
		{Name: "version", Type: Integer, ReadOnly: true, TitleZH: "版本", TitleEN: "Version"},
		{Name: "created_at", Type: Time, ReadOnly: true, Sortable: true, TitleZH: "创建时间", TitleEN: "Created"},
		{Name: "updated_at", Type: Time, ReadOnly: true, Sortable: true, TitleZH: "更新时间", TitleEN: "Updated"},
		{Name: "updated_by", Type: String, ReadOnly: true, TitleZH: "更新人", TitleEN: "Updated by"},
	}
}

// Default returns the registry of cityreach's planning layers, matching the migrations.
func Default() *Registry {
	id := Attribute{Name: "id", Type: Integer, ReadOnly: true, Sortable: true, TitleZH: "编号", TitleEN: "ID"}
	name := func(required bool) Attribute {
		return Attribute{Name: "name", Type: String, Required: required, Sortable: true, TitleZH: "名称", TitleEN: "Name"}
	}
	pop := Attribute{Name: "population", Type: Integer, Required: true, Min: f(0), Max: f(1e8), Sortable: true, TitleZH: "人口", TitleEN: "Population"}
	hh := Attribute{Name: "households", Type: Integer, Required: true, Min: f(0), Max: f(1e8), Sortable: true, TitleZH: "户数", TitleEN: "Households"}
	// hours is an opening-hours text (OSM opening_hours subset: 24/7, off, HH:MM-HH:MM,…).
	hours := func(zh, en string) Attribute {
		return Attribute{Name: "open_hours", Type: String, Format: FormatOpeningHours, TitleZH: zh, TitleEN: en}
	}
	area := Attribute{Name: "area_m2", Type: Number, ReadOnly: true, Sortable: true, TitleZH: "面积(m²)", TitleEN: "Area (m²)"}
	ls := []*Layer{
		{ID: "districts", TitleZH: "区/旗/县", TitleEN: "Districts", GeomType: "MultiPolygon", Attributes: []Attribute{
			id, {Name: "adcode", Type: String, Required: true, Sortable: true, TitleZH: "行政区划代码", TitleEN: "Admin code"},
			name(true), {Name: "name_en", Type: String, TitleZH: "英文名", TitleEN: "English name"},
			{Name: "kind", Type: String, Enum: []string{"区", "旗", "县", "县级市", "district"}, TitleZH: "类型", TitleEN: "Kind"},
		}},
		{ID: "subdistricts", TitleZH: "街道", TitleEN: "Subdistricts (街道)", GeomType: "MultiPolygon", Attributes: []Attribute{
			id, {Name: "district_id", Type: Integer, Required: true, Min: f(1), Sortable: true, TitleZH: "所属区", TitleEN: "District"},
			{Name: "code", Type: String, Required: true, Sortable: true, TitleZH: "代码", TitleEN: "Code"}, name(true),
		}},
		{ID: "communities", TitleZH: "社区", TitleEN: "Communities", GeomType: "MultiPolygon", Attributes: []Attribute{
			id, {Name: "subdistrict_id", Type: Integer, Min: f(1), Sortable: true, TitleZH: "所属街道", TitleEN: "Subdistrict"},
			{Name: "code", Type: String, Required: true, Sortable: true, TitleZH: "社区代码", TitleEN: "Code"}, name(true), pop, hh,
		}},
		{ID: "parks", TitleZH: "公园绿地", TitleEN: "Parks", GeomType: "MultiPolygon", Attributes: []Attribute{
			id, name(true),
			{Name: "park_class", Type: String, Required: true, Enum: []string{"comprehensive", "community", "specialized", "garden", "square"}, Sortable: true, TitleZH: "公园类别", TitleEN: "Park class"},
			{Name: "pocket", Type: Boolean, TitleZH: "口袋公园", TitleEN: "Pocket park"},
			{Name: "open_status", Type: String, Enum: []string{"open", "shared", "closed"}, TitleZH: "开放状态", TitleEN: "Open status"},
			{Name: "in_historic_district", Type: Boolean, TitleZH: "位于历史文化街区", TitleEN: "In historic district"},
			hours("开放时间", "Opening hours"),
			area,
		}},
		{ID: "park_entrances", TitleZH: "公园出入口", TitleEN: "Park entrances", GeomType: "Point", Attributes: []Attribute{
			id, {Name: "park_id", Type: Integer, Required: true, Min: f(1), Sortable: true, TitleZH: "公园", TitleEN: "Park"}, name(false),
			{Name: "status", Type: String, Enum: []string{"open", "closed"}, Sortable: true, TitleZH: "出入口状态", TitleEN: "Gate status"},
			hours("出入口开放时间", "Gate opening hours"),
		}},
		{ID: "eco_corridors", TitleZH: "生态廊道", TitleEN: "Ecological corridors", GeomType: "MultiPolygon", Attributes: []Attribute{
			id, name(true),
			{Name: "kind", Type: String, Enum: []string{"river", "green", "mountain", "wind", "other"}, TitleZH: "类型", TitleEN: "Kind"},
			{Name: "design_width_m", Type: Number, Required: true, Min: f(0.01), Max: f(99999), Sortable: true, TitleZH: "设计宽度(m)", TitleEN: "Design width (m)"},
		}},
		{ID: "eco_redlines", TitleZH: "生态保护红线", TitleEN: "Ecological protection red line", GeomType: "MultiPolygon", Attributes: []Attribute{id, name(true)}},
		{ID: "basic_farmland", TitleZH: "永久基本农田", TitleEN: "Permanent basic farmland", GeomType: "MultiPolygon", Attributes: []Attribute{id, name(true)}},
		{ID: "growth_boundaries", TitleZH: "城镇开发边界", TitleEN: "Urban growth boundary", GeomType: "MultiPolygon", ValidFrom: "valid_from", ValidTo: "valid_to", Attributes: []Attribute{
			id, {Name: "edition", Type: String, Required: true, Sortable: true, TitleZH: "版本", TitleEN: "Edition"},
			{Name: "approved_on", Type: Date, Sortable: true, TitleZH: "批复日期", TitleEN: "Approved on"},
			{Name: "valid_from", Type: Date, Required: true, Sortable: true, TitleZH: "生效日期", TitleEN: "Valid from"},
			{Name: "valid_to", Type: Date, Sortable: true, TitleZH: "失效日期", TitleEN: "Valid to"},
		}},
		{ID: "residential_land", TitleZH: "居住用地", TitleEN: "Residential land", GeomType: "MultiPolygon", Attributes: []Attribute{
			id, {Name: "landuse_code", Type: String, Sortable: true, TitleZH: "用地代码", TitleEN: "Land-use code"}, pop, hh, area,
		}},
		{ID: "facilities", TitleZH: "生活服务设施", TitleEN: "Facilities", GeomType: "Point", Attributes: []Attribute{
			id, {Name: "category", Type: String, Required: true, Sortable: true, Enum: FacilityCategories(), TitleZH: "类别", TitleEN: "Category"}, name(false),
			{Name: "floor_area_m2", Type: Number, Min: f(0), Max: f(1e7 - 1), Sortable: true, TitleZH: "建筑面积(m²)", TitleEN: "Floor area (m²)"},
			{Name: "capacity", Type: Number, Min: f(0), Max: f(1e9 - 1), Sortable: true, TitleZH: "容量(学位/托位/床位)", TitleEN: "Capacity (seats, places, beds)"},
		}},
		{ID: "network_edges", TitleZH: "步行网络", TitleEN: "Walking network", GeomType: "LineString", Attributes: []Attribute{
			id, {Name: "source", Type: Integer, TitleZH: "起点", TitleEN: "Source node"},
			{Name: "target", Type: Integer, TitleZH: "终点", TitleEN: "Target node"},
			{Name: "highway", Type: String, Sortable: true, TitleZH: "道路等级", TitleEN: "Highway class"},
			{Name: "walkable", Type: Boolean, TitleZH: "可步行", TitleEN: "Walkable"},
			{Name: "bridge", Type: Boolean, TitleZH: "桥梁", TitleEN: "Bridge"},
			{Name: "tunnel", Type: Boolean, TitleZH: "隧道", TitleEN: "Tunnel"},
			{Name: "steps", Type: Boolean, TitleZH: "台阶", TitleEN: "Steps"},
			name(false),
			{Name: "length_m", Type: Number, ReadOnly: true, Sortable: true, TitleZH: "长度(m)", TitleEN: "Length (m)"},
		}},
	}
	for _, l := range ls {
		l.Attributes = append(l.Attributes, shared()...)
	}
	return NewRegistry(ls...)
}

// NewRegistry returns a registry of the given layers, in order. Derived read-only layers
// (an indicator's view) use it to get a featureapi.Store of their own.
func NewRegistry(ls ...*Layer) *Registry {
	r := &Registry{byID: map[string]*Layer{}}
	for _, l := range ls {
		r.byID[l.ID] = l
		r.order = append(r.order, l.ID)
	}
	return r
}

// FacilityCategories is the controlled vocabulary of facility categories, as seeded by
// the migrations into facility_categories.
func FacilityCategories() []string {
	c := []string{"community_service", "clinic", "middle_school", "primary_school", "kindergarten", "nursery",
		"vegetable_market", "elderly_care", "culture", "sports", "activity_ground", "convenience_store",
		"supermarket", "breakfast", "pharmacy", "post_express", "household_services", "canteen",
		"transit_stop", "rail_station"}
	sort.Strings(c)
	return c
}
