package seed

import (
	"fmt"
	"os"

	"github.com/cityreach/cityreach/geodata"
	"github.com/cityreach/cityreach/internal/synth"
)

// Outlines reads the city and district outlines from adminFile (the embedded AMap-derived
// demo file when empty) and the Yellow River from the embedded GSHHG line.
func Outlines(adminFile string) (synth.Outlines, error) {
	var admin []byte
	var err error
	if adminFile == "" {
		admin, err = geodata.FS.ReadFile(geodata.BaotouAdmin)
	} else {
		admin, err = os.ReadFile(adminFile)
	}
	if err != nil {
		return synth.Outlines{}, fmt.Errorf("reading the outlines: %w", err)
	}
	city, ds, err := synth.ParseAdmin(admin)
	if err != nil {
		return synth.Outlines{}, err
	}
	if city.Adcode != "150200" {
		return synth.Outlines{}, fmt.Errorf("the outlines' city is %s (%s), want 包头市 150200", city.Name, city.Adcode)
	}
	r, err := geodata.FS.ReadFile(geodata.YellowRiver)
	if err != nil {
		return synth.Outlines{}, err
	}
	river, err := synth.ParseRiver(r)
	if err != nil {
		return synth.Outlines{}, err
	}
	return synth.Outlines{City: city, Districts: ds, River: river}, nil
}
