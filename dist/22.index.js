export const id = 22;
export const ids = [22];
export const modules = {

/***/ 2022:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

__webpack_require__.r(__webpack_exports__);
/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   definitionOf: () => (/* binding */ definitionOf),
/* harmony export */   footprint: () => (/* binding */ footprint)
/* harmony export */ });
/* harmony import */ var proj4__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(6148);
/* harmony import */ var proj4__WEBPACK_IMPORTED_MODULE_0___default = /*#__PURE__*/__webpack_require__.n(proj4__WEBPACK_IMPORTED_MODULE_0__);

/**
 * Where a raster lies on the map: its outline in WGS84 (lon, lat), from its pixel size and its
 * geotransform in its own CRS, for the pull-request map. Only the CRSs a Géoplateforme user meets
 * are known; a raster in another one has no footprint (and is listed without one).
 */
/** proj4 definitions (as the EPSG registry gives them) of the CRSs of French public data. */
const DEFINITIONS = {
    4326: '+proj=longlat +datum=WGS84 +no_defs',
    4171: '+proj=longlat +ellps=GRS80 +towgs84=0,0,0,0,0,0,0 +no_defs',
    3857: '+proj=merc +a=6378137 +b=6378137 +lat_ts=0 +lon_0=0 +x_0=0 +y_0=0 +k=1 +units=m +nadgrids=@null +no_defs',
    2154: '+proj=lcc +lat_0=46.5 +lon_0=3 +lat_1=49 +lat_2=44 +x_0=700000 +y_0=6600000 +ellps=GRS80 +towgs84=0,0,0,0,0,0,0 +units=m +no_defs',
    27572: '+proj=lcc +lat_1=46.8 +lat_0=46.8 +lon_0=0 +k_0=0.99987742 +x_0=600000 +y_0=2200000 +a=6378249.2 +b=6356515 +towgs84=-168,-60,320,0,0,0,0 +pm=paris +units=m +no_defs',
    // Overseas: French Guiana, the Antilles, Réunion, Mayotte, Saint-Pierre-et-Miquelon, New Caledonia, Polynesia.
    2972: '+proj=utm +zone=22 +ellps=GRS80 +towgs84=2,2,-2,0,0,0,0 +units=m +no_defs',
    5490: '+proj=utm +zone=20 +ellps=GRS80 +towgs84=0,0,0,0,0,0,0 +units=m +no_defs',
    2975: '+proj=utm +zone=40 +south +ellps=GRS80 +towgs84=0,0,0,0,0,0,0 +units=m +no_defs',
    4471: '+proj=utm +zone=38 +south +ellps=GRS80 +towgs84=0,0,0,0,0,0,0 +units=m +no_defs',
    4467: '+proj=utm +zone=21 +ellps=GRS80 +towgs84=0,0,0,0,0,0,0 +units=m +no_defs',
    3163: '+proj=lcc +lat_0=-21.5 +lon_0=166 +lat_1=-20.6666666666667 +lat_2=-22.3333333333333 +x_0=400000 +y_0=300000 +ellps=GRS80 +towgs84=0,0,0,0,0,0,0 +units=m +no_defs',
    3297: '+proj=utm +zone=6 +south +ellps=GRS80 +towgs84=0,0,0,0,0,0,0 +units=m +no_defs',
};
/** The definition of `epsg`: the table above, the nine conic zones CC42 to CC50, and WGS84's UTM zones. */
function definitionOf(epsg) {
    if (DEFINITIONS[epsg])
        return DEFINITIONS[epsg];
    if (epsg >= 3942 && epsg <= 3950) {
        const lat = epsg - 3900;
        return `+proj=lcc +lat_0=${lat} +lon_0=3 +lat_1=${lat - 0.75} +lat_2=${lat + 0.75} +x_0=1700000 +y_0=${(lat - 41) * 1_000_000 + 200_000} +ellps=GRS80 +towgs84=0,0,0,0,0,0,0 +units=m +no_defs`;
    }
    if ((epsg >= 32601 && epsg <= 32660) || (epsg >= 32701 && epsg <= 32760))
        return `+proj=utm +zone=${epsg % 100}${epsg >= 32701 ? ' +south' : ''} +datum=WGS84 +units=m +no_defs`;
    return undefined;
}
/** Points taken along each edge, so that a conic projection's curved edges stay close. */
const POINTS_PER_EDGE = 4;
/** The closed outline, [lon, lat] pairs, of a raster of `width` × `height` pixels; undefined when the CRS is unknown. */
function footprint(epsg, transform, width, height) {
    const definition = definitionOf(epsg);
    if (!definition)
        return undefined;
    const toWgs84 = epsg === 4326 ? (p) => p : (p) => proj4__WEBPACK_IMPORTED_MODULE_0___default()(definition, DEFINITIONS[4326], p);
    const [t0, t1, t2, t3, t4, t5] = transform;
    const at = (col, row) => toWgs84([t0 + col * t1 + row * t2, t3 + col * t4 + row * t5]);
    const ring = [];
    const corners = [
        [0, 0],
        [width, 0],
        [width, height],
        [0, height],
    ];
    corners.forEach(([c0, r0], i) => {
        const [c1, r1] = corners[(i + 1) % 4];
        for (let k = 0; k < POINTS_PER_EDGE; k++)
            ring.push(at(c0 + ((c1 - c0) * k) / POINTS_PER_EDGE, r0 + ((r1 - r0) * k) / POINTS_PER_EDGE));
    });
    ring.push(ring[0]);
    return ring.every(([x, y]) => Number.isFinite(x) && Number.isFinite(y)) ? ring.map(([x, y]) => [round(x), round(y)]) : undefined;
}
/** Seven decimals: about a centimetre, and short in the comment. */
function round(value) {
    return Math.round(value * 1e7) / 1e7;
}


/***/ })

};
