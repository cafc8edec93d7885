#!/usr/bin/python3
"""A real QGIS against a running `cityreach serve` (scripts/qgis.sh starts one on the demo city).

Runs headless PyQGIS (Debian's QGIS 3.22; /usr/bin/python3, not a pyenv one) and checks
what a planner's QGIS does with the service, against values worked out without QGIS:
counts and boxes from PostGIS (psql on the server's database), attributes from the API
(urllib, following `next` links) and from PostGIS.

For every collection of /ogc/collections, through QGIS's native OAPIF provider:
  - the layer is valid; featureCount() is the server's numberMatched and the features QGIS
    reads (following the `next` links) are as many as `SELECT count(*)` of the table;
  - the layer's extent is the collection's advertised extent, which contains PostGIS's
    box of the features (a collection that advertises none: QGIS's box after reading every
    feature is PostGIS's);
  - every text attribute QGIS reads (Chinese names above all) is, as a multiset per field,
    what the API sends and what the table holds.
Booleans: `pocket = true` on the native provider and `pocket = 1` through QGIS's GDAL (OGR)
provider, which the server must see as `?pocket=1` (a recording proxy sits between QGIS
and the server), each give PostGIS's count of pocket parks.
Vector tiles: a QgsVectorTileLayer with `styleUrl=` of /tiles/parks/style.json is valid and,
after loadDefaultStyle() (what QGIS does when a layer is added), its renderer has one style
per layer of the style document, in the document's colours; the parks are rendered to a
PNG, and the pixel at the inside point of every park big enough to hold a 3-pixel disc
has the style's fill over the white background, the pixels outside every park's box
are background.

Exits non-zero with a message naming what failed.

    QT_QPA_PLATFORM=offscreen /usr/bin/python3 scripts/qgis-check.py \
        --base http://127.0.0.1:18093 --database-url postgres://postgres@127.0.0.1/cityreach_q3 --out test-artifacts/qgis
"""
import argparse
import http.client
import http.server
import json
import os
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("XDG_RUNTIME_DIR", "/tmp")

failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL " + msg, flush=True)


def ok(msg):
    print("ok   " + msg, flush=True)


def check(cond, msg):
    (ok if cond else fail)(msg)
    return cond


# --- independent readers: the API over urllib, PostGIS over psql ---------------------------------

def get_json(url):
    req = urllib.request.Request(url, headers={"Accept": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.load(r)


def api_features(url):
    """Every feature of an items URL, following `next` links; and the first page's numberMatched."""
    feats, matched = [], None
    while url:
        page = get_json(url)
        if matched is None:
            matched = page.get("numberMatched")
        feats += page["features"]
        url = next((ln["href"] for ln in page.get("links", []) if ln.get("rel") == "next"), None)
    return feats, matched


class PostGIS:
    """psql with -v variables: values as :'v' literals and names as :"v" identifiers, quoted by psql."""

    def __init__(self, url):
        self.url = url

    def json(self, sql, **vars):
        args = ["psql", self.url, "-XAtq", "-v", "ON_ERROR_STOP=1"]
        for k, v in vars.items():
            args += ["-v", f"{k}={v}"]
        # psql interpolates variables only in input it reads, not in -c.
        out = subprocess.run(args, input=sql, capture_output=True, text=True, check=False)
        if out.returncode != 0:
            raise RuntimeError(f"psql: {out.stderr.strip()}")
        return json.loads(out.stdout)

    def columns(self, table):
        return set(self.json("""SELECT coalesce(json_agg(column_name), '[]') FROM information_schema.columns
                                WHERE table_schema = 'public' AND table_name = :'t'""", t=table))


# --- a recording proxy, so the test sees the requests QGIS makes ----------------------------------

class Recorder(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, backend):
        self.backend = urllib.parse.urlsplit(backend)
        self.requests = []
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), ProxyHandler)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server_address[1]}"


class ProxyHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def do_GET(self):
        srv = self.server
        with srv.lock:
            srv.requests.append(self.path)
        conn = http.client.HTTPConnection(srv.backend.hostname, srv.backend.port, timeout=120)
        # The Host header is passed on, so the server's links point back at the proxy.
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("connection", "keep-alive")}
        conn.request(self.command, self.path, headers=headers)
        resp = conn.getresponse()
        body = resp.read()
        self.send_response(resp.status)
        for k, v in resp.getheaders():
            if k.lower() not in ("connection", "keep-alive", "transfer-encoding", "content-length"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        conn.close()

    do_HEAD = do_GET


# --- the checks -----------------------------------------------------------------------------------

def text_of(v):
    from qgis.PyQt.QtCore import QVariant
    if v is None or (isinstance(v, QVariant) and v.isNull()):
        return None
    return str(v)


def same_box(a, b, tol):
    return all(abs(x - y) <= tol for x, y in zip(a, b))


def contains(outer, inner, tol):
    return (outer[0] <= inner[0] + tol and outer[1] <= inner[1] + tol and
            outer[2] >= inner[2] - tol and outer[3] >= inner[3] - tol)


def box_of(rect):
    return [rect.xMinimum(), rect.yMinimum(), rect.xMaximum(), rect.yMaximum()]


# The computed collections have no table: their features' count and box from PostGIS.
# park_coverage_parcels is one MultiPolygon per residential parcel; living_circle_parcels one
# point per residential parcel (its point on surface in the metric CRS, where its walk
# starts) and facility category.
COMPUTED = {
    "park_coverage_parcels": """SELECT json_build_object('n', count(*), 'box', json_build_array(min(ST_XMin(geom)),
                                  min(ST_YMin(geom)), max(ST_XMax(geom)), max(ST_YMax(geom)))) FROM residential_land""",
    "living_circle_parcels": """SELECT json_build_object('n', count(*) * (SELECT count(*) FROM facility_categories),
                                  'box', json_build_array(min(ST_X(p)), min(ST_Y(p)), max(ST_X(p)), max(ST_Y(p))))
                                FROM residential_land r, LATERAL ST_Transform(ST_PointOnSurface(r.geom_m), 4326) p""",
}


def check_collection(coll, base, proxy, db):
    from qgis.core import QgsVectorLayer, QgsFeatureRequest
    cid = coll["id"]
    lyr = QgsVectorLayer(f"url='{proxy.url}/ogc' typename='{cid}'", cid, "OAPIF")
    if not check(lyr.isValid(), f"{cid}: the OAPIF layer is valid"):
        return
    api_feats, matched = api_features(f"{base}/ogc/collections/{cid}/items?limit=1000")
    pg = db.json(COMPUTED.get(cid, """SELECT json_build_object('n', count(*), 'box', json_build_array(min(ST_XMin(geom)),
                      min(ST_YMin(geom)), max(ST_XMax(geom)), max(ST_YMax(geom)))) FROM :"t" """), t=cid)
    check(lyr.featureCount() == matched,
          f"{cid}: QGIS featureCount {lyr.featureCount()} = the server's numberMatched {matched}")
    advertised = (coll.get("extent") or {}).get("spatial", {}).get("bbox", [None])[0]
    if advertised is not None:
        check(same_box(box_of(lyr.extent()), advertised, 1e-9),
              f"{cid}: QGIS extent {box_of(lyr.extent())} = the advertised extent {advertised}")
        check(contains(advertised, pg["box"], 1e-8),
              f"{cid}: the advertised extent contains PostGIS's box of the features {pg['box']}")

    fields = [f.name() for f in lyr.fields() if f.typeName() == "String"]
    got = {f: [] for f in fields}
    n = 0
    for feat in lyr.getFeatures(QgsFeatureRequest()):
        n += 1
        for f in fields:
            got[f].append(text_of(feat[f]))
    check(n == pg["n"] == len(api_feats),
          f"{cid}: QGIS read {n} features; PostGIS count(*) {pg['n']}; the API's pages {len(api_feats)}")
    if advertised is None:
        print(f"note {cid}: advertises no extent; QGIS guesses it from its first features")
        check(same_box(box_of(lyr.extent()), pg["box"], 1e-8),
              f"{cid}: QGIS extent after reading every feature {box_of(lyr.extent())} = PostGIS's box {pg['box']}")

    cols = db.columns(cid)
    cjk = 0
    for f in fields:
        mine = sorted(got[f], key=lambda v: (v is None, v or ""))
        # A collection with string feature ids and no "id" property (living_circle_parcels'
        # "<parcel>:<category>"): QGIS shows the feature id as a String field "id".
        api = sorted((ft["properties"].get(f, ft.get("id") if f == "id" else None) for ft in api_feats),
                     key=lambda v: (v is None, v or ""))
        api = [None if v is None else str(v) for v in api]
        if not check(mine == api, f"{cid}.{f}: the {len(mine)} values QGIS read = the API's"):
            diff = [(a, b) for a, b in zip(mine, api) if a != b][:3]
            print(f"     first differences (QGIS, API): {diff}")
        if f in cols:
            pgv = db.json('SELECT coalesce(json_agg(:"c"::text), \'[]\') FROM :"t"', c=f, t=cid)
            pgv = sorted(pgv, key=lambda v: (v is None, v or ""))
            check(mine == pgv, f"{cid}.{f}: the values QGIS read = the table's")
        cjk += sum(1 for v in mine if v and any("\u4e00" <= ch <= "\u9fff" for ch in v))
    if cjk:
        ok(f"{cid}: {cjk} Chinese text values compared")


def check_booleans(base, proxy, db):
    from qgis.core import QgsVectorLayer
    want = db.json("SELECT count(*) FROM parks WHERE pocket")
    total = db.json("SELECT count(*) FROM parks")
    check(0 < want < total, f"parks: PostGIS has {want} pocket parks of {total} (a filter that selects)")

    lyr = QgsVectorLayer(f"url='{proxy.url}/ogc' typename='parks'", "parks", "OAPIF")
    lyr.setSubsetString("pocket = true")
    n = sum(1 for _ in lyr.getFeatures())
    check(n == want, f"OAPIF provider, subset `pocket = true`: {n} parks = PostGIS's {want}")

    # QGIS's OGR provider hands the subset to GDAL's OAPIF driver, which sends it to the server.
    before = len(proxy.requests)
    ogr = QgsVectorLayer(f"OAPIF:{proxy.url}/ogc|layername=parks", "parks (GDAL)", "ogr")
    if not check(ogr.isValid(), "GDAL (OGR provider) parks layer is valid"):
        return
    ogr.setSubsetString("pocket = 1")
    n = sum(1 for _ in ogr.getFeatures())
    check(n == want, f"OGR provider, subset `pocket = 1`: {n} parks = PostGIS's {want}")
    sent = [p for p in proxy.requests[before:] if "/collections/parks/items" in p]
    check(any("pocket=1" in urllib.parse.urlsplit(p).query.split("&") for p in sent),
          f"the server saw ?pocket=1 (GDAL's items requests: {sent[:3]})")


def check_tiles_and_render(base, proxy, db, out):
    from qgis.core import (QgsVectorTileLayer, QgsMapSettings, QgsMapRendererSequentialJob,
                           QgsRectangle, QgsCoordinateReferenceSystem)
    from qgis.PyQt.QtCore import QSize
    from qgis.PyQt.QtGui import QColor

    style = get_json(f"{base}/tiles/parks/style.json")
    tj = get_json(f"{base}/tiles/parks.json")
    t = f"{proxy.url}/tiles"
    uri = (f"type=xyz&url={t}/parks/{{z}}/{{x}}/{{y}}.mvt&zmin={tj['minzoom']}&zmax={tj['maxzoom']}"
           f"&styleUrl={t}/parks/style.json")
    vt = QgsVectorTileLayer(uri, "parks tiles")
    if not check(vt.isValid(), f"vector tile layer is valid: {uri}"):
        return
    msg, loaded = vt.loadDefaultStyle()
    check(loaded, f"loadDefaultStyle() read the style URL ({msg or 'no message'})")
    styles = {s.styleName(): s for s in vt.renderer().styles()}
    want = {ly["id"]: ly for ly in style["layers"]}
    check(set(styles) == set(want), f"the renderer's styles {sorted(styles)} = the style's layers {sorted(want)}")
    for sid, ly in want.items():
        s = styles.get(sid)
        if s is None:
            continue
        col = ly["paint"].get("fill-color") or ly["paint"].get("line-color") or ly["paint"].get("circle-color")
        check(s.layerName() == ly["source-layer"] and s.symbol() is not None and
              s.symbol().color().name() == col.lower(),
              f"style {sid}: source layer {s.layerName()}, colour {s.symbol().color().name() if s.symbol() else None} = {col}")

    # Render the parks' box in Web Mercator, 1 pixel = `res` metres.
    box = db.json("""SELECT json_build_array(ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b))
                     FROM (SELECT ST_Extent(ST_Transform(geom, 3857))::geometry b FROM parks) e""")
    w = 1200
    res = (box[2] - box[0]) / w
    h = int((box[3] - box[1]) / res) + 1
    ms = QgsMapSettings()
    ms.setLayers([vt])
    ms.setDestinationCrs(QgsCoordinateReferenceSystem("EPSG:3857"))
    ms.setOutputSize(QSize(w, h))
    ms.setExtent(QgsRectangle(box[0], box[1], box[0] + w * res, box[1] + h * res))
    ms.setBackgroundColor(QColor(255, 255, 255))
    job = QgsMapRendererSequentialJob(ms)
    t0 = time.time()
    job.start()
    job.waitForFinished()
    img = job.renderedImage()
    os.makedirs(out, exist_ok=True)
    png = os.path.join(out, "qgis-parks.png")
    img.save(png)
    print(f"note rendered {img.width()}x{img.height()} px at {res:.2f} m/px in {time.time() - t0:.1f} s: {png}")
    ext = ms.visibleExtent()
    mupp = ms.mapUnitsPerPixel()

    def pixel(x, y):
        px = int((x - ext.xMinimum()) / mupp)
        py = int((ext.yMaximum() - y) / mupp)
        if not (0 <= px < img.width() and 0 <= py < img.height()):
            raise ValueError(f"({x:.0f}, {y:.0f}) is outside the rendered map")
        return QColor(img.pixel(px, py))

    fill = QColor(want["parks-fill"]["paint"]["fill-color"])
    a = want["parks-fill"]["paint"].get("fill-opacity", 1)
    # The fill over white, worked out from the style: a·colour + (1 − a)·255 per channel.
    expect = [a * c + (1 - a) * 255 for c in (fill.red(), fill.green(), fill.blue())]
    # Inside points of parks that hold a disc of 3 px radius (away from the outlines), in 3857.
    inside = db.json("""SELECT coalesce(json_agg(json_build_array(ST_X(c.center), ST_Y(c.center))), '[]')
                        FROM parks, LATERAL ST_MaximumInscribedCircle(ST_Transform(geom, 3857)) c
                        WHERE c.radius > 3 * :'res'::float8""", res=res)
    bad = []
    for x, y in inside:
        c = pixel(x, y)
        if max(abs(c.red() - expect[0]), abs(c.green() - expect[1]), abs(c.blue() - expect[2])) > 12:
            bad.append((round(x), round(y), c.name()))
    check(len(inside) > 0 and not bad,
          f"the pixel inside each of {len(inside)} parks is the style's fill over white "
          f"{QColor(*[round(v) for v in expect]).name()}" + (f"; not at {bad[:5]}" if bad else ""))
    # Background: the inside points of residential parcels that touch no park (a 2 px margin).
    outside = db.json("""SELECT coalesce(json_agg(json_build_array(ST_X(c.center), ST_Y(c.center))), '[]')
                         FROM residential_land r, LATERAL ST_MaximumInscribedCircle(ST_Transform(r.geom, 3857)) c
                         WHERE NOT EXISTS (SELECT FROM parks p
                                           WHERE ST_DWithin(ST_Transform(p.geom, 3857), c.center, 2 * :'res'::float8))""",
                      res=res)
    outside = [(x, y) for x, y in outside if ext.xMinimum() < x < ext.xMaximum() and ext.yMinimum() < y < ext.yMaximum()]
    nonwhite = [(round(x), round(y), c) for x, y in outside for c in [pixel(x, y).name()] if c != "#ffffff"]
    check(len(outside) > 0 and not nonwhite,
          f"the pixel inside each of {len(outside)} residential parcels away from parks is background"
          + (f"; not at {nonwhite[:5]}" if nonwhite else ""))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--base", required=True, help="the server, e.g. http://127.0.0.1:18093")
    ap.add_argument("--database-url", required=True, help="the server's database (PostGIS), for independent values")
    ap.add_argument("--out", default="test-artifacts/qgis", help="where the rendered PNG goes")
    args = ap.parse_args()
    base = args.base.rstrip("/")
    db = PostGIS(args.database_url)

    from qgis.core import QgsApplication, Qgis
    app = QgsApplication([], False)
    app.initQgis()
    print(f"note QGIS {Qgis.QGIS_VERSION}", flush=True)

    proxy = Recorder(base)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    try:
        colls = get_json(f"{base}/ogc/collections")["collections"]
        check(len(colls) > 0, f"{len(colls)} collections listed")
        for coll in colls:
            check_collection(coll, base, proxy, db)
        check_booleans(base, proxy, db)
        check_tiles_and_render(base, proxy, db, args.out)
    except Exception as e:  # a crash is a failure with its message, not a traceback only
        import traceback
        traceback.print_exc()
        fail(f"{type(e).__name__}: {e}")
    finally:
        proxy.shutdown()
    print(f"note QGIS made {len(proxy.requests)} requests")
    if failures:
        print(f"\nqgis-check: {len(failures)} check(s) failed:", file=sys.stderr)
        for f in failures:
            print("  " + f, file=sys.stderr)
        app.exitQgis()
        sys.exit(1)
    print("qgis-check: all checks passed")
    app.exitQgis()


if __name__ == "__main__":
    main()
