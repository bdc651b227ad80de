#!/usr/bin/env bash
# Regenerates the committed sample rasters (samples/rasters) and test fixtures (test/fixtures)
# with GDAL. Only needed to change them: the outputs are committed, so neither the demo nor the
# tests need GDAL. Requires gdal-bin (apt-get install gdal-bin).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v gdal_create >/dev/null || { echo "gdal_create not found: apt-get install gdal-bin" >&2; exit 1; }

export GDAL_PAM_ENABLED=NO # no .aux.xml sidecars next to the outputs

# make OUT SRS ULX ULY [extra gdal_create args...]: a 32x32 single-band raster, 10 m pixels.
make() {
  local out=$1 srs=$2 ulx=$3 uly=$4
  shift 4
  mkdir -p "$(dirname "$out")"
  rm -f "$out"
  gdal_create -q -outsize 32 32 -bands 1 -ot Byte -burn 128 \
    -a_ullr "$ulx" "$uly" "$(echo "$ulx + 320" | bc)" "$(echo "$uly - 320" | bc)" \
    ${srs:+-a_srs "$srs"} "$@" "$out"
}

# A TIFF with no georeferencing at all plus its world file.
plain_tiff_with_tfw() {
  local out=$1 ulx=$2 uly=$3
  mkdir -p "$(dirname "$out")"
  rm -f "$out"
  gdal_create -q -outsize 32 32 -bands 1 -ot Byte -burn 64 -co COMPRESS=DEFLATE -co PROFILE=BASELINE "$out"
  printf '10.0\n0.0\n0.0\n-10.0\n%s\n%s\n' "$(echo "$ulx + 5" | bc)" "$(echo "$uly - 5" | bc)" >"${out%.tif}.tfw"
}

# JPEG2000 with GeoJP2 and GMLJP2 boxes (OpenJPEG driver defaults).
jp2() {
  local out=$1 srs=$2 ulx=$3 uly=$4
  local tmp
  tmp=$(mktemp --suffix=.tif)
  make "$tmp" "$srs" "$ulx" "$uly"
  mkdir -p "$(dirname "$out")"
  rm -f "$out"
  gdal_translate -q -of JP2OpenJPEG -co QUALITY=50 "$tmp" "$out"
  rm -f "$tmp"
}

# --- samples published by `npm run demo` ---
S=samples/rasters
rm -rf "$S"
make "$S/ortho/ortho_650000_6860000.tif" EPSG:2154 650000 6860000 -co COMPRESS=DEFLATE
make "$S/ortho/ortho_650320_6860000.tif" EPSG:2154 650320 6860000 -co COMPRESS=DEFLATE
make "$S/ortho/2024/ortho_650000_6859680.tif" EPSG:2154 650000 6859680 -co COMPRESS=DEFLATE
plain_tiff_with_tfw "$S/scans/scan_1950.tif" 651000 6861000
jp2 "$S/mnt/mnt_650000_6860000.jp2" EPSG:2154 650000 6860000

# --- test fixtures ---
F=test/fixtures
rm -rf "$F"
make "$F/geotiff-2154.tif" EPSG:2154 650000 6860000 -co COMPRESS=DEFLATE
make "$F/geotiff-4326.tif" EPSG:4326 2 48 -co COMPRESS=DEFLATE
make "$F/geotiff-4326-geographic.tif" EPSG:4326 2 48
make "$F/bigtiff-2154.tif" EPSG:2154 650000 6860000 -co BIGTIFF=YES
make "$F/geotiff-3857.tif" EPSG:3857 250000 6250000 -co COMPRESS=DEFLATE
# A user-defined projected CRS (no EPSG code): readers must say "unknown", not guess.
make "$F/geotiff-userdefined.tif" "+proj=tmerc +lat_0=0 +lon_0=3 +k=0.9996 +x_0=500000 +y_0=0 +ellps=GRS80 +units=m +no_defs" 500000 5000000
plain_tiff_with_tfw "$F/plain.tif" 651000 6861000
jp2 "$F/jp2-2154.jp2" EPSG:2154 650000 6860000
jp2 "$F/jp2-4326.jp2" EPSG:4326 2 48
# --- GDAL's own footprints, for the test that checks the action's: wgs84Extent of each raster
# (a TIFF+TFW gets the declared SRS through a VRT, as the platform assumes it).
extents() {
  local out=$F/extents.json tmp
  tmp=$(mktemp -d)
  {
    echo '{'
    local first=1
    for file in "$S"/ortho/ortho_650000_6860000.tif "$S"/ortho/2024/ortho_650000_6859680.tif "$S"/scans/scan_1950.tif \
      "$S"/mnt/mnt_650000_6860000.jp2 "$F"/geotiff-3857.tif "$F"/bigtiff-2154.tif "$F"/jp2-2154.jp2; do
      local src=$file
      if [ -f "${file%.tif}.tfw" ]; then
        src=$tmp/$(basename "$file").vrt
        gdal_translate -q -of VRT -a_srs EPSG:2154 "$file" "$src"
      fi
      [ $first = 1 ] || echo ','
      first=0
      printf '"%s": ' "$file"
      gdalinfo -json "$src" | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["wgs84Extent"]))'
    done
    echo '}'
  } >"$out"
  rm -rf "$tmp"
}
extents

# --- what GDAL reads in each raster, for the emulator's raster check (emulator/checks.ts), so that
# the emulator never judges a file with the action's own reader: MD5 and size (a test file that
# starts with these bytes is that raster, padded), EPSG code (null when there is none), and whether
# the file carries its own georeferencing (sidecars such as a .tfw are not read for that).
manifest() {
  local out=emulator/known-rasters.json
  find "$S" "$F" -type f \( -name '*.tif' -o -name '*.jp2' \) | sort | while read -r file; do
    GDAL_DISABLE_READDIR_ON_OPEN=EMPTY_DIR gdalinfo -json "$file" |
      python3 -c 'import hashlib,json,os,sys
file = sys.argv[1]
info = json.load(sys.stdin)
data = open(file, "rb").read()
print(json.dumps({"file": file, "md5": hashlib.md5(data).hexdigest(), "size": len(data),
  "epsg": info.get("stac", {}).get("proj:epsg"), "georeferenced": "geoTransform" in info}))' "$file"
  done | python3 -c 'import json,sys; print(json.dumps([json.loads(l) for l in sys.stdin], indent=2))' >"$out"
}
manifest

echo "samples and fixtures written"
ls -lR "$S" "$F" | grep -v '^total'
