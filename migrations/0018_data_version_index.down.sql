DROP INDEX districts_version_ix, subdistricts_version_ix, communities_version_ix, parks_version_ix,
    park_entrances_version_ix, residential_land_version_ix, facilities_version_ix, network_edges_version_ix;
