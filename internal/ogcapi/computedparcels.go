package ogcapi

import (
	"context"

	"github.com/cityreach/cityreach/internal/citydata"
	"github.com/cityreach/cityreach/internal/fault"
	"github.com/cityreach/cityreach/internal/layers"
)

// ReadOnly is a read-only property of a computed collection's Description.
func ReadOnly(name string, t layers.Type, zh, en string) layers.Attribute {
	return layers.Attribute{Name: name, Type: t, ReadOnly: true, TitleZH: zh, TitleEN: en}
}

// ResidentialParcels is the part the per-parcel computed collections (park coverage, living
// circle) share: the city a request reads and the extent, the residential parcels' box.
// Embed it in such a collection to implement Extenter.
type ResidentialParcels struct {
	Pool citydata.Querier
}

// City returns the city of the city= term of a request (from ComputedTerms), or the
// database's one city when it is empty; an *InvalidError on city when it is empty and the
// database holds several.
func (r ResidentialParcels) City(ctx context.Context, slug string) (string, error) {
	city, err := citydata.SlugOrOnly(ctx, r.Pool, slug)
	if err != nil {
		return "", err
	}
	if city == "" {
		return "", &InvalidError{Param: "city", Msg: "city is required when the service holds several cities (a city slug, e.g. city=baotou)"}
	}
	return city, nil
}

// Extent implements Extenter: the box of every residential parcel (PostGIS's ST_Extent),
// which holds their points on surface; cached by the service until residential_land changes.
func (r ResidentialParcels) Extent(ctx context.Context) (Extent, error) {
	b, err := citydata.ResidentialExtent(ctx, r.Pool)
	return Extent{BBox: b}, err
}

// ExtentLayers implements Extenter.
func (ResidentialParcels) ExtentLayers() []string { return []string{"residential_land"} }

// ComputedInvalid turns a domain refusal of bad input (a fault.Error of KindInvalid) into
// an *InvalidError on its "parameter" member, renamed by rename (domain name → query
// parameter) where the collection calls it otherwise; any other error is returned as is.
func ComputedInvalid(err error, rename map[string]string) error {
	f := fault.As(err)
	if f == nil || f.Kind != fault.KindInvalid {
		return err
	}
	p, _ := f.Extra["parameter"].(string)
	if n, ok := rename[p]; ok {
		p = n
	}
	return &InvalidError{Param: p, Msg: f.Detail}
}
