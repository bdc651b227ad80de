export const id = 268;
export const ids = [268];
export const modules = {

/***/ 1268:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

// ESM COMPAT FLAG
__webpack_require__.r(__webpack_exports__);

// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  ficheNeighbours: () => (/* reexport */ ficheNeighbours),
  planCatalogue: () => (/* reexport */ planCatalogue),
  readRecordSource: () => (/* reexport */ readRecordSource),
  reconcileRecord: () => (/* reexport */ reconcileRecord),
  recordRun: () => (/* reexport */ recordRun)
});

// EXTERNAL MODULE: ./src/config/inputs.ts + 1 modules
var inputs = __webpack_require__(3028);
// EXTERNAL MODULE: ./src/shared/errors.ts
var errors = __webpack_require__(8382);
// EXTERNAL MODULE: ./node_modules/fast-xml-parser/src/xmlparser/XMLParser.js + 26 modules
var XMLParser = __webpack_require__(9658);
// EXTERNAL MODULE: ./src/catalogue/labels.ts
var labels = __webpack_require__(9586);
;// CONCATENATED MODULE: ./src/catalogue/fields.ts


/**
 * A record read back into the fields people know it by (title, abstract, extent, services…), from
 * any ISO 19139 file whatever its prefixes: to compare the server's record with the one asked on
 * content rather than bytes, and to say what a merge changes field by field, never as an XML diff.
 */
const parser = new XMLParser/* default */.A({
    ignoreAttributes: false,
    removeNSPrefix: true,
    parseTagValue: false,
    parseAttributeValue: false,
    trimValues: true,
    isArray: (_name, _path, _leaf, isAttribute) => !isAttribute,
});
/** Every node at `steps` under `nodes` (each step may repeat). */
function at(nodes, ...steps) {
    let current = nodes;
    for (const step of steps)
        current = current.flatMap((node) => (node && typeof node === 'object' ? (node[step] ?? []) : []));
    return current;
}
function textOf(node) {
    if (typeof node === 'string')
        return node;
    if (!node || typeof node !== 'object')
        return '';
    const value = node['#text'];
    const parts = Array.isArray(value) ? value : [value];
    return parts.map((part) => (typeof part === 'string' || typeof part === 'number' ? String(part) : '')).join('');
}
function texts(nodes, ...steps) {
    return at(nodes, ...steps)
        .map(textOf)
        .filter((t) => t !== '');
}
function first(nodes, ...steps) {
    return texts(nodes, ...steps)[0] ?? '';
}
function attribute(nodes, name, ...steps) {
    const [node] = at(nodes, ...steps);
    const value = node && typeof node === 'object' ? node[`@_${name}`] : undefined;
    return typeof value === 'string' ? value : '';
}
/** The record's fields; a file that is not a record gives empty ones. */
function readFields(xml) {
    const root = at([parser.parse(xml)], 'MD_Metadata');
    const di = at(root, 'identificationInfo', 'MD_DataIdentification');
    const citation = at(di, 'citation', 'CI_Citation');
    const party = at(di, 'pointOfContact', 'CI_ResponsibleParty');
    const mail = ['contactInfo', 'CI_Contact', 'address', 'CI_Address', 'electronicMailAddress', 'CharacterString'];
    const keywordBlocks = at(di, 'descriptiveKeywords', 'MD_Keywords');
    const thesaurus = keywordBlocks.filter((block) => at([block], 'thesaurusName').length > 0);
    const free = keywordBlocks.filter((block) => at([block], 'thesaurusName').length === 0);
    const box = at(di, 'extent', 'EX_Extent', 'geographicElement', 'EX_GeographicBoundingBox');
    const bound = (name) => first(box, name, 'Decimal');
    const extent = box.length
        ? [bound('westBoundLongitude'), bound('southBoundLatitude'), bound('eastBoundLongitude'), bound('northBoundLatitude')]
        : [];
    return {
        fileIdentifier: first(root, 'fileIdentifier', 'CharacterString'),
        title: first(citation, 'title', 'CharacterString'),
        abstract: first(di, 'abstract', 'CharacterString'),
        creationDate: first(citation, 'date', 'CI_Date', 'date', 'Date'),
        organisation: first(party, 'organisationName', 'CharacterString'),
        organisationEmail: first(party, ...mail),
        contactEmail: first(at(root, 'contact', 'CI_ResponsibleParty'), ...mail),
        topicCategories: texts(di, 'topicCategory', 'MD_TopicCategoryCode'),
        inspireThemes: texts(thesaurus, 'keyword', 'CharacterString'),
        keywords: texts(free, 'keyword', 'CharacterString'),
        maintenanceFrequency: attribute(di, 'codeListValue', 'resourceMaintenance', 'MD_MaintenanceInformation', 'maintenanceAndUpdateFrequency', 'MD_MaintenanceFrequencyCode'),
        lineage: first(root, 'dataQualityInfo', 'DQ_DataQuality', 'lineage', 'LI_Lineage', 'statement', 'CharacterString'),
        language: attribute(root, 'codeListValue', 'language', 'LanguageCode'),
        level: attribute(root, 'codeListValue', 'hierarchyLevel', 'MD_ScopeCode'),
        scaleDenominator: first(di, 'spatialResolution', 'MD_Resolution', 'equivalentScale', 'MD_RepresentativeFraction', 'denominator', 'Integer'),
        extent: extent.join(' '),
        thumbnail: first(di, 'graphicOverview', 'MD_BrowseGraphic', 'fileName', 'CharacterString'),
        services: servicesOf(root),
    };
}
/** Each online resource as one line: protocol, layer name, URL, and whether access is restricted. */
function servicesOf(root) {
    const resources = at(root, 'distributionInfo', 'MD_Distribution', 'transferOptions', 'MD_DigitalTransferOptions', 'onLine', 'CI_OnlineResource');
    return resources.map((resource) => {
        const restricted = at([resource], 'description', 'Anchor').length > 0 ? ' (restricted)' : '';
        return `${first([resource], 'protocol', 'CharacterString')} ${first([resource], 'name', 'CharacterString')} ${first([resource], 'linkage', 'URL')}${restricted}`;
    });
}
/** The commit the action wrote the record from, as its maintenance note says (record.ts); undefined for any other record. */
function writtenFrom(xml) {
    const root = at([parser.parse(xml)], 'MD_Metadata');
    const notes = texts(root, 'metadataMaintenance', 'MD_MaintenanceInformation', 'maintenanceNote', 'CharacterString');
    for (const note of notes) {
        const match = new RegExp(`^${labels/* WRITTEN_FROM */.hi} ([0-9a-f]{40}|[0-9a-f]{64})$`).exec(note.trim());
        if (match)
            return match[1];
    }
    return undefined;
}
/**
 * The whole document as comparable data: element order, attributes and text, whitespace between
 * elements, the `dateStamp` (when it was written) and the metadata's maintenance (which commit wrote it) left out. Two files equal here hold the same record.
 */
function contentOf(xml) {
    const ordered = new XMLParser/* default */.A({
        ignoreAttributes: false,
        removeNSPrefix: true,
        preserveOrder: true,
        trimValues: true,
        parseTagValue: false,
    });
    const strip = (nodes) => nodes
        .filter((node) => !(node && typeof node === 'object' && ('dateStamp' in node || 'metadataMaintenance' in node || '?xml' in node)))
        .map((node) => {
        if (!node || typeof node !== 'object')
            return node;
        const entries = Object.entries(node).map(([key, value]) => [
            key,
            Array.isArray(value) ? strip(value) : key === ':@' ? withoutNamespaces(value) : value,
        ]);
        return Object.fromEntries(entries);
    });
    const parsed = ordered.parse(xml);
    return JSON.stringify(strip(Array.isArray(parsed) ? parsed : []));
}
function withoutNamespaces(attributes) {
    return Object.fromEntries(Object.entries(attributes)
        .filter(([key]) => !/^@_xmlns/.test(key))
        .sort(([a], [b]) => a.localeCompare(b)));
}
/** What differs, field by field; `other elements` when the files differ where no field shows it. */
function fieldChanges(before, after) {
    const old = before === undefined ? undefined : readFields(before);
    const now = readFields(after);
    const shown = (value) => (Array.isArray(value) ? value.join('; ') : value);
    const changes = [];
    for (const key of labels/* FIELD_ORDER */.ot) {
        const was = old ? shown(old[key]) : '';
        const will = shown(now[key]);
        if (was !== will)
            changes.push({ field: key, before: was, after: will });
    }
    if (before !== undefined && changes.length === 0 && contentOf(before) !== contentOf(after))
        changes.push({ field: 'other elements', before: 'as the datastore holds them', after: 'as the repository gives them' });
    return changes;
}

// EXTERNAL MODULE: ./node_modules/xmlbuilder2/lib/index.js
var lib = __webpack_require__(4697);
;// CONCATENATED MODULE: ./src/catalogue/record.ts


const NS = {
    gmd: 'http://www.isotc211.org/2005/gmd',
    gco: 'http://www.isotc211.org/2005/gco',
    gmx: 'http://www.isotc211.org/2005/gmx',
    xlink: 'http://www.w3.org/1999/xlink',
    xsi: 'http://www.w3.org/2001/XMLSchema-instance',
};
const CL = 'http://standards.iso.org/ittf/PubliclyAvailableStandards/ISO_19139_Schemas/resources/codelist/ML_gmxCodelists.xml';
const CL2 = 'http://standards.iso.org/iso/19139/resources/gmxCodelists.xml';
const RESTRICTED = `${CL2}#MD_RestrictionCode_restricted`;
const OTHER_SERVICE = 'http://inspire.ec.europa.eu/metadata-codelist/SpatialDataServiceType/other';
/** The names the portal gives the languages it offers; another code is its own name. */
const LANGUAGE_NAMES = { fre: 'français', eng: 'anglais', ger: 'allemand', spa: 'espagnol', ita: 'italien' };
function renderRecord(input) {
    const { description: d } = input;
    const root = (0,lib/* create */.vt)({ version: '1.0', encoding: 'UTF-8' }).ele(NS.gmd, 'gmd:MD_Metadata', {
        'xmlns:gco': NS.gco,
        'xmlns:gmx': NS.gmx,
        'xmlns:xlink': NS.xlink,
        'xmlns:xsi': NS.xsi,
        uuid: input.fileIdentifier,
    });
    string(root.ele('gmd:fileIdentifier'), input.fileIdentifier);
    root
        .ele('gmd:language')
        .ele('gmd:LanguageCode', { codeList: 'http://www.loc.gov/standards/iso639-2/', codeListValue: d.language })
        .txt(LANGUAGE_NAMES[d.language] ?? d.language);
    code(root.ele('gmd:characterSet'), 'gmd:MD_CharacterSetCode', `${CL}#MD_CharacterSetCode`, 'utf8', 'utf8');
    code(root.ele('gmd:hierarchyLevel'), 'gmd:MD_ScopeCode', `${CL}#MD_ScopeCode`, d.level, d.level);
    string(root.ele('gmd:hierarchyLevelName'), d.level === 'series' ? 'Collection des données' : 'Jeu de données');
    identification(root.ele('gmd:identificationInfo').ele('gmd:MD_DataIdentification'), input);
    const contact = root.ele('gmd:contact').ele('gmd:CI_ResponsibleParty');
    email(contact, d.contactEmail);
    root.ele('gmd:dateStamp').ele('gco:DateTime').txt(input.dateStamp);
    if (d.lineage)
        string(root.ele('gmd:dataQualityInfo').ele('gmd:DQ_DataQuality').ele('gmd:lineage').ele('gmd:LI_Lineage').ele('gmd:statement'), d.lineage);
    if (input.services.length) {
        const options = root
            .ele('gmd:distributionInfo')
            .ele('gmd:MD_Distribution')
            .ele('gmd:transferOptions')
            .ele('gmd:MD_DigitalTransferOptions');
        for (const service of input.services)
            onLine(options, service);
    }
    // Which commit wrote it: a later run of an older commit leaves the record alone.
    if (input.commit) {
        const maintenance = root.ele('gmd:metadataMaintenance').ele('gmd:MD_MaintenanceInformation');
        code(maintenance.ele('gmd:maintenanceAndUpdateFrequency'), 'gmd:MD_MaintenanceFrequencyCode', `${CL2}#MD_MaintenanceFrequencyCode`, 'asNeeded');
        string(maintenance.ele('gmd:maintenanceNote'), `${labels/* WRITTEN_FROM */.hi} ${input.commit}`);
    }
    return root.end({ prettyPrint: true });
}
function identification(di, input) {
    const { description: d } = input;
    const citation = di.ele('gmd:citation').ele('gmd:CI_Citation');
    string(citation.ele('gmd:title'), d.title);
    date(citation, d.creationDate, 'creation', `${CL}#CI_DateTypeCode`);
    string(di.ele('gmd:abstract'), d.abstract);
    const party = di.ele('gmd:pointOfContact').ele('gmd:CI_ResponsibleParty');
    string(party.ele('gmd:organisationName'), d.organisation.name);
    email(party, d.organisation.email);
    if (d.inspireThemes.length) {
        const keywords = di.ele('gmd:descriptiveKeywords').ele('gmd:MD_Keywords');
        for (const theme of d.inspireThemes)
            string(keywords.ele('gmd:keyword'), theme);
        const thesaurus = keywords.ele('gmd:thesaurusName').ele('gmd:CI_Citation');
        string(thesaurus.ele('gmd:title'), 'GEMET - INSPIRE themes, version 1.0');
        date(thesaurus, '2008-06-01', 'publication', `${CL2}#CI_DateTypeCode`);
    }
    if (d.keywords.length) {
        const keywords = di.ele('gmd:descriptiveKeywords').ele('gmd:MD_Keywords');
        for (const word of d.keywords)
            string(keywords.ele('gmd:keyword'), word);
        code(keywords.ele('gmd:type'), 'gmd:MD_KeywordTypeCode', `${CL}#MD_KeywordTypeCode`, 'theme', 'theme');
    }
    for (const topic of d.topicCategories)
        di.ele('gmd:topicCategory').ele('gmd:MD_TopicCategoryCode').txt(topic);
    if (input.thumbnail) {
        const graphic = di.ele('gmd:graphicOverview').ele('gmd:MD_BrowseGraphic');
        string(graphic.ele('gmd:fileName'), input.thumbnail.url);
        string(graphic.ele('gmd:fileDescription'), 'Aperçu');
        string(graphic.ele('gmd:fileType'), input.thumbnail.fileType);
    }
    const maintenance = di.ele('gmd:resourceMaintenance').ele('gmd:MD_MaintenanceInformation').ele('gmd:maintenanceAndUpdateFrequency');
    code(maintenance, 'gmd:MD_MaintenanceFrequencyCode', `${CL2}#MD_MaintenanceFrequencyCode`, d.maintenanceFrequency);
    if (input.scaleDenominator)
        di.ele('gmd:spatialResolution')
            .ele('gmd:MD_Resolution')
            .ele('gmd:equivalentScale')
            .ele('gmd:MD_RepresentativeFraction')
            .ele('gmd:denominator')
            .ele('gco:Integer')
            .txt(String(input.scaleDenominator));
    if (input.extent) {
        const [west, south, east, north] = input.extent;
        const box = di.ele('gmd:extent').ele('gmd:EX_Extent').ele('gmd:geographicElement').ele('gmd:EX_GeographicBoundingBox');
        for (const [name, value] of [
            ['westBoundLongitude', west],
            ['eastBoundLongitude', east],
            ['southBoundLatitude', south],
            ['northBoundLatitude', north],
        ])
            box.ele(`gmd:${name}`).ele('gco:Decimal').txt(String(value));
    }
    code(di.ele('gmd:spatialRepresentationType'), 'gmd:MD_SpatialRepresentationTypeCode', `${CL2}#MD_SpatialRepresentationTypeCode`, 'grid');
}
/** A layer as the portal and the catalogue read it: protocol, endpoint URL, layer name; a private one marked restricted. */
function onLine(options, service) {
    const resource = options.ele('gmd:onLine').ele('gmd:CI_OnlineResource');
    resource.ele('gmd:linkage').ele('gmd:URL').txt(service.url);
    string(resource.ele('gmd:protocol'), service.protocol);
    if (!service.open)
        resource.ele('gmd:applicationProfile').ele('gmx:Anchor', { 'xlink:href': OTHER_SERVICE }).txt('other');
    string(resource.ele('gmd:name'), service.layerName);
    if (!service.open)
        resource.ele('gmd:description').ele('gmx:Anchor', { 'xlink:href': RESTRICTED }).txt(`${service.layerName} - Accès restreint`);
}
function string(parent, value) {
    parent.ele('gco:CharacterString').txt(value);
}
function code(parent, element, codeList, value, text) {
    const node = parent.ele(element, { codeList, codeListValue: value });
    if (text !== undefined)
        node.txt(text);
}
function email(party, address) {
    string(party.ele('gmd:contactInfo').ele('gmd:CI_Contact').ele('gmd:address').ele('gmd:CI_Address').ele('gmd:electronicMailAddress'), address);
}
function date(citation, value, type, codeList) {
    const ciDate = citation.ele('gmd:date').ele('gmd:CI_Date');
    ciDate.ele('gmd:date').ele('gco:Date').txt(value);
    code(ciDate.ele('gmd:dateType'), 'gmd:CI_DateTypeCode', codeList, type, type);
}

// EXTERNAL MODULE: external "node:crypto"
var external_node_crypto_ = __webpack_require__(7598);
// EXTERNAL MODULE: external "node:path"
var external_node_path_ = __webpack_require__(6760);
var external_node_path_default = /*#__PURE__*/__webpack_require__.n(external_node_path_);
// EXTERNAL MODULE: ./src/shared/abort.ts
var abort = __webpack_require__(4211);
// EXTERNAL MODULE: ./src/workspace/files.ts + 14 modules
var files = __webpack_require__(3652);
;// CONCATENATED MODULE: ./src/catalogue/thumbnail.ts





/**
 * The fiche's thumbnail: an annex labelled `type=thumbnail` and `datasheet_name=…`, published, at a
 * path named by its content (`thumbnail/{layer}-{md5}.png`): a new image gets a new path, as the
 * portal does so that no cache serves the old one, and a lost answer to its create is found again
 * at that path. Its public URL goes into the record's graphicOverview; the earlier thumbnails of
 * the fiche are deleted once the record no longer names them (docs/catalogue.md, "Thumbnail").
 */
/** The portal's limit for a thumbnail. */
const MAX_THUMBNAIL_BYTES = 2 * 1024 * 1024;
/** How long the layer's preview is waited for. */
const PREVIEW_TIMEOUT_MS = 30_000;
async function reconcileThumbnail(api, input, warn) {
    if (input.choice.kind === 'none')
        return { verdict: 'none', why: 'thumbnail: none', stale: [] };
    if (!input.annexRoot)
        return { verdict: 'none', why: "the datastore does not give its technical name, which an annex's URL holds", stale: [] };
    if (input.datasheet.includes(','))
        return { verdict: 'none', why: "the fiche's name holds a comma, which an annex's labels cannot", stale: [] };
    const labels = ['type=thumbnail', `datasheet_name=${input.datasheet}`];
    const existing = (await api.annexes(labels)).filter((a) => a.published && a.paths.length > 0);
    const keep = (annex, why) => ({
        url: `${input.annexRoot}${annex.paths[0]}`,
        fileType: extensionOf(annex.paths[0]),
        verdict: 'kept',
        why,
        stale: existing.filter((a) => a !== annex),
    });
    const content = await wanted(input, existing.length > 0, warn);
    if (!content)
        return existing[0] ? keep(existing[0], "the fiche's thumbnail, as it is") : { verdict: 'none', why: noPictureWhy(input), stale: [] };
    const ext = content[0] === 0x89 ? 'png' : 'jpg';
    const annexPath = `thumbnail/${input.layer}-${(0,external_node_crypto_.createHash)('md5').update(content).digest('hex').slice(0, 12)}.${ext}`;
    const same = existing.find((a) => a.paths.includes(`/${annexPath}`));
    if (same)
        return keep(same, 'the same image');
    const url = `${input.annexRoot}/${annexPath}`;
    if (input.dryRun)
        return { url, fileType: ext, verdict: 'would create', stale: existing };
    let made;
    try {
        made = await api.createAnnex(content, annexPath, labels);
    }
    catch (error) {
        // The picture is the fiche's garnish: the record is still written, with the thumbnail the fiche had.
        if (input.signal?.aborted)
            throw error;
        const refused = error instanceof errors/* ApiError */.hD && error.status === 403;
        warn(refused
            ? "The fiche's thumbnail was refused (HTTP 403): the account likely lacks the datastore's ANNEX right; ask the community's administrator for it, or set thumbnail: none"
            : `The fiche's thumbnail could not be made (${(0,errors/* errorText */.kc)(error)}); the next run tries again`);
        return existing[0]
            ? keep(existing[0], "the fiche's thumbnail, as it was")
            : { verdict: 'none', why: 'its annex could not be made', stale: [] };
    }
    return { url: `${input.annexRoot}${made.paths[0] ?? `/${annexPath}`}`, fileType: ext, verdict: 'created', stale: existing };
}
/** The image the fiche should show; undefined: keep what it has (or none). */
async function wanted(input, hasOne, warn) {
    if (input.choice.kind === 'file')
        return readImage(input.workspace, input.choice.path);
    // auto: the layer's picture, taken again only when the layer's data changed (or none is there).
    if (!input.preview || input.dryRun || (hasOne && !input.built))
        return undefined;
    try {
        return await fetchPreview(input.preview, input.signal);
    }
    catch (error) {
        if (input.signal?.aborted)
            throw error;
        warn(`The layer's preview could not be read for the fiche's thumbnail (${(0,errors/* errorText */.kc)(error)}); the next run tries again`);
        return undefined;
    }
}
/** Why `auto` gives the fiche no picture this run. */
function noPictureWhy(input) {
    if (input.dryRun)
        return "made from the layer's preview once the layer is served";
    return input.preview ? "the layer's preview could not be read" : 'a private layer has no public preview';
}
async function readImage(workspace, relative) {
    const content = await (0,files/* readNamedFile */.wh)(workspace, relative, {
        input: 'thumbnail',
        maxBytes: MAX_THUMBNAIL_BYTES,
        missingFix: 'check the path, or use auto or none',
        tooBig: 'a file under 2 MB, which the fiche takes; make it smaller',
    });
    if (!isImage(content))
        throw new errors/* InputError */.dz('thumbnail', `'${relative}' is neither a PNG nor a JPEG image`);
    return content;
}
/** The preview, bounded in time and size, and an image. */
async function fetchPreview(url, signal) {
    const bounded = (0,abort/* deadline */.nl)(signal, PREVIEW_TIMEOUT_MS, () => new Error('no answer within 30 s'));
    try {
        const res = await fetch(url, { signal: bounded.signal, redirect: 'follow' });
        if (!res.ok || !res.body)
            throw new Error(`HTTP ${res.status}`);
        const chunks = [];
        let size = 0;
        const reader = res.body.getReader();
        for (let read = await reader.read(); !read.done; read = await reader.read()) {
            const chunk = read.value;
            size += chunk.length;
            if (size > MAX_THUMBNAIL_BYTES) {
                await reader.cancel();
                throw new Error('the image is over 2 MB');
            }
            chunks.push(Buffer.from(chunk));
        }
        const content = Buffer.concat(chunks);
        if (!isImage(content))
            throw new Error('the answer is not a PNG or JPEG image');
        return content;
    }
    catch (error) {
        if (signal?.aborted)
            throw (0,abort/* abortError */.vt)(signal);
        throw error;
    }
    finally {
        bounded.dispose();
    }
}
function isImage(content) {
    const png = content.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    return png || (content[0] === 0xff && content[1] === 0xd8);
}
function extensionOf(annexPath) {
    const ext = external_node_path_default().extname(annexPath).slice(1).toLowerCase();
    return ext === 'jpeg' ? 'jpg' : ext || 'png';
}

;// CONCATENATED MODULE: ./src/catalogue/catalogue.ts





async function reconcileRecord(api, run, emit) {
    const { plan } = run;
    const existing = plan.existing;
    const report = {
        fileIdentifier: plan.fileIdentifier,
        metadataId: existing?.id,
        verdict: 'would leave unchanged',
        changes: [],
        published: existing !== undefined && plan.endpoint !== undefined && existing.endpointIds.includes(plan.endpoint.id),
        catalogueUrl: plan.catalogueUrl,
        cswUrl: plan.cswUrl,
    };
    const held = existing ? await api.metadataFile(existing.id) : undefined;
    const written = held === undefined ? undefined : writtenFrom(held);
    if (written && (await newerThanRun(run, written))) {
        emit({
            type: 'warning',
            message: `The metadata record was left as it is: it was written from commit ${written.slice(0, 7)}, newer than this run's`,
        });
        report.verdict = run.dryRun ? 'would leave unchanged' : 'unchanged';
        emit({ type: 'catalogue', report });
        return report;
    }
    const thumbnail = await thumbnailOf(api, run, emit);
    if (thumbnail)
        report.thumbnail = { url: thumbnail.url ?? '', verdict: thumbnailVerdict(thumbnail), why: thumbnail.why };
    const xml = recordAsked(run, thumbnail);
    const same = held !== undefined && contentOf(held) === contentOf(xml);
    report.changes = same ? [] : fieldChanges(held, xml);
    report.verdict = !existing ? 'would create' : same ? 'would leave unchanged' : 'would replace';
    // The `metadata-id` output as soon as the record is known, whatever fails after.
    if (existing || run.dryRun)
        emit({ type: 'catalogue', report });
    if (run.dryRun)
        return report;
    const entity = await writeRecord(api, run, report, xml, same, emit);
    report.metadataId = entity.id;
    emit({ type: 'catalogue', report });
    const flagsChanged = await keepFlags(api, entity, plan, emit);
    if (entity.tags[inputs/* DATASHEET_TAG */.L2] !== run.datasheet)
        await api.tagMetadata(entity.id, { [inputs/* DATASHEET_TAG */.L2]: run.datasheet });
    await publication(api, entity, run, report, flagsChanged, emit);
    emit({ type: 'catalogue', report });
    await deleteStale(api, thumbnail, emit);
    return report;
}
/** The record created, or replaced when its content differs; the entity as the server holds it. */
async function writeRecord(api, run, report, xml, same, emit) {
    const { plan } = run;
    const existing = plan.existing;
    let entity;
    if (!existing) {
        entity = await api.createMetadata(xml, plan.fileIdentifier, flagsOf(plan)).catch((error) => {
            // Not ours (the lost-answer lookup found none in this datastore): another datastore holds it.
            if (error instanceof errors/* ApiError */.hD && error.status === 409)
                throw takenIdentifier(plan, error);
            throw error;
        });
        report.verdict = 'created';
        emit({ type: 'info', message: `Created metadata record ${entity.id} (${plan.fileIdentifier})` });
    }
    else {
        entity = existing;
        report.verdict = same ? 'unchanged' : 'replaced';
        if (!same) {
            await api.replaceMetadata(existing.id, xml, async () => contentOf(await api.metadataFile(existing.id)) === contentOf(xml));
            emit({ type: 'info', message: `Replaced metadata record ${existing.id}: ${report.changes.map((c) => c.field).join(', ')}` });
        }
    }
    return entity;
}
/** Whether the record was written from a commit the run's commit precedes: then it is newer than the run. */
async function newerThanRun(run, written) {
    if (!run.commit || written === run.commit)
        return false;
    return (await run.ancestry(written)) === 'backward';
}
/** Identifiers are unique on the whole platform: one another datastore holds is the user's to change. */
function takenIdentifier(plan, error) {
    const fix = plan.source.kind === 'yaml' ? `set identifier in ${plan.source.path}` : `change gmd:fileIdentifier in ${plan.source.path}`;
    return new errors/* InputError */.dz('metadata', `the record's identifier ${plan.fileIdentifier} is taken on the platform, by a record outside this datastore (${error.details.join('; ') || `HTTP ${error.status}`}); ${fix} to one of your own`);
}
/** The record's XML: the user's own, or rendered (dateStamp: now, left out of the comparison). */
function recordAsked(run, thumbnail) {
    const { source } = run.plan;
    if (source.kind === 'xml')
        return source.xml;
    const now = (run.now ?? (() => new Date()))();
    return renderRecord({
        fileIdentifier: run.plan.fileIdentifier,
        description: source.description,
        extent: run.extent,
        scaleDenominator: source.description.scaleDenominator ?? run.scaleDenominator,
        services: run.services,
        commit: run.commit,
        thumbnail: thumbnail?.url && thumbnail.fileType ? { url: thumbnail.url, fileType: thumbnail.fileType } : undefined,
        dateStamp: now.toISOString().slice(0, 19),
    });
}
/** A generated record's thumbnail; a user's XML is sent as it is, its graphicOverview its own. */
async function thumbnailOf(api, run, emit) {
    if (run.plan.source.kind === 'xml')
        return undefined;
    const input = { ...run.thumbnail, annexRoot: run.plan.annexRoot, datasheet: run.datasheet, dryRun: run.dryRun };
    const outcome = await reconcileThumbnail(api, input, (message) => emit({ type: 'warning', message }));
    if (outcome.verdict === 'created')
        emit({ type: 'info', message: `Made the fiche's thumbnail ${outcome.url ?? ''}` });
    return outcome;
}
function thumbnailVerdict(outcome) {
    if (outcome.verdict === 'created' || outcome.verdict === 'would create')
        return outcome.stale.length ? 'replaced' : 'created';
    return outcome.verdict === 'kept' ? 'kept' : 'none';
}
function flagsOf(plan) {
    const { source } = plan;
    return source.kind === 'yaml' ? { inspire: source.description.inspire, openData: source.description.openData } : source;
}
/** `type` and `open_data` as the description asks, when the entity says what it holds. */
async function keepFlags(api, entity, plan, emit) {
    const flags = flagsOf(plan);
    const type = flags.inspire ? 'INSPIRE' : 'ISOAP';
    const differs = (entity.type !== undefined && entity.type !== type) || (entity.openData !== undefined && entity.openData !== flags.openData);
    if (!differs)
        return false;
    await api.setMetadataFlags(entity.id, flags);
    emit({ type: 'info', message: `Metadata record ${entity.id} is now ${type}, open_data ${flags.openData}` });
    return true;
}
/** Published on the METADATA endpoint when asked and not yet; again after its flags changed (the API asks it). */
async function publication(api, entity, run, report, again, emit) {
    const endpoint = run.plan.endpoint;
    const published = endpoint !== undefined && entity.endpointIds.includes(endpoint.id);
    report.published = published;
    if (!run.publish) {
        if (published)
            emit({ type: 'info', message: 'The record stays published: metadata-publish: false does not withdraw it from the catalogue' });
        return;
    }
    if (!endpoint || (published && !again))
        return;
    await api.publishMetadata(entity.id, run.plan.fileIdentifier, endpoint.id);
    report.published = true;
    emit({ type: 'info', message: `Published metadata record ${entity.id} on the catalogue's endpoint` });
}
/** The fiche's earlier thumbnails, once the record names the new one; a failure leaves them, said. */
async function deleteStale(api, thumbnail, emit) {
    if (!thumbnail || thumbnail.verdict === 'none')
        return;
    for (const annex of thumbnail.stale)
        try {
            await api.deleteAnnex(annex.id);
            emit({ type: 'info', message: `Deleted the fiche's earlier thumbnail ${annex.id}` });
        }
        catch (error) {
            emit({
                type: 'warning',
                message: `The fiche's earlier thumbnail ${annex.id} was not deleted (${(0,errors/* errorText */.kc)(error)}); the next run tries again`,
            });
        }
}

// EXTERNAL MODULE: ./node_modules/fast-xml-parser/src/fxp.js
var fxp = __webpack_require__(5824);
// EXTERNAL MODULE: ./node_modules/yaml/dist/index.js
var dist = __webpack_require__(8815);
;// CONCATENATED MODULE: ./src/catalogue/description.ts





/**
 * The record's source read from the workspace and checked before anything is sent: a YAML
 * description against its schema (README, "The metadata record"), one line per problem naming the
 * field and the fix; or an ISO 19139 file, well-formed and with a file identifier. The identifier
 * against the datastore's mandatory prefix is `checkIdentifier`, once the datastore is read.
 */
/** ISO 19115 MD_TopicCategoryCode. */
const TOPIC_CATEGORIES = [
    'farming',
    'biota',
    'boundaries',
    'climatologyMeteorologyAtmosphere',
    'economy',
    'elevation',
    'environment',
    'geoscientificInformation',
    'health',
    'imageryBaseMapsEarthCover',
    'intelligenceMilitary',
    'inlandWaters',
    'location',
    'oceans',
    'planningCadastre',
    'society',
    'structure',
    'transportation',
    'utilitiesCommunication',
];
/** ISO 19115 MD_MaintenanceFrequencyCode. */
const FREQUENCIES = [
    'continual',
    'daily',
    'weekly',
    'fortnightly',
    'monthly',
    'quarterly',
    'biannually',
    'annually',
    'asNeeded',
    'irregular',
    'notPlanned',
    'unknown',
];
const FIELDS = [
    'title',
    'abstract',
    'identifier',
    'organisation',
    'contact-email',
    'topic-categories',
    'inspire-themes',
    'keywords',
    'creation-date',
    'maintenance-frequency',
    'lineage',
    'language',
    'level',
    'scale-denominator',
    'inspire',
    'open-data',
    'producer',
    'production-year',
];
/** The portal's identifier pattern (docs/catalogue.md, "Identifier"). */
const IDENTIFIER = /^[\w.-]+$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
/** Bigger than any record a user writes by hand; a bigger file is not one. */
const MAX_BYTES = 1024 * 1024;
/** The file `relative` names in the workspace, read and checked. */
async function readRecordSource(workspace, relative) {
    const text = (await (0,files/* readNamedFile */.wh)(workspace, relative, {
        input: 'metadata',
        maxBytes: MAX_BYTES,
        missingFix: "check the path (relative to the repository's root)",
        tooBig: "a file of at most 1 MB; give the record's description",
    })).toString('utf8');
    if (/\.xml$/i.test(relative))
        return xmlSource(relative, text);
    if (!/\.ya?ml$/i.test(relative))
        throw new errors/* InputError */.dz('metadata', `'${relative}' is neither .yml, .yaml nor .xml; name the YAML description or the ISO 19139 file`);
    return { kind: 'yaml', path: relative, description: describe(relative, text) };
}
/** The record's file identifier: the datastore's mandatory prefix, a dot, the identifier (docs/catalogue.md). */
function fileIdentifierOf(source, layer, prefix) {
    if (source.kind === 'xml') {
        checkIdentifier(source.fileIdentifier, prefix, `${source.path}'s gmd:fileIdentifier`);
        return source.fileIdentifier;
    }
    const own = source.description.identifier ?? layer;
    const identifier = prefix && !own.startsWith(`${prefix}.`) ? `${prefix}.${own}` : own;
    checkIdentifier(identifier, prefix, `${source.path}'s identifier`);
    return identifier;
}
/** Refused before anything is sent: an identifier the datastore would refuse, said with its fix. */
function checkIdentifier(identifier, prefix, where) {
    if (!IDENTIFIER.test(identifier))
        throw new errors/* InputError */.dz('metadata', `${where} '${identifier}' may hold only letters, digits, '_', '-' and '.'`);
    if (prefix && !(identifier.startsWith(`${prefix}.`) && identifier.length > prefix.length + 1))
        throw new errors/* InputError */.dz('metadata', `${where} '${identifier}' must start with this datastore's prefix: write ${prefix}.${identifier}`);
}
function xmlSource(relative, xml) {
    const valid = fxp/* XMLValidator */.iI.validate(xml);
    if (valid !== true)
        throw new errors/* InputError */.dz('metadata', `${relative} is not well-formed XML (line ${valid.err.line}: ${valid.err.msg}); fix it or give a YAML description`);
    const fields = readFields(xml);
    if (!fields.fileIdentifier)
        throw new errors/* InputError */.dz('metadata', `${relative} has no gmd:MD_Metadata/gmd:fileIdentifier/gco:CharacterString; the platform needs one`);
    return { kind: 'xml', path: relative, xml, fileIdentifier: fields.fileIdentifier, inspire: false, openData: false };
}
/** The YAML checked against the schema: every problem, one line each, in one error. */
function describe(relative, text) {
    const document = (0,dist/* parseDocument */.Tp)(text, { prettyErrors: false });
    if (document.errors.length) {
        const [first] = document.errors;
        throw new errors/* InputError */.dz('metadata', `${relative} is not valid YAML (${first.message.split('\n')[0]}); fix it`);
    }
    const raw = document.toJS();
    if (!raw || typeof raw !== 'object' || Array.isArray(raw))
        throw new errors/* InputError */.dz('metadata', `${relative} is not a YAML mapping of fields (title: …, abstract: …); see the README's example`);
    const problems = [];
    const yaml = new Fields(raw, problems);
    const description = yaml.read();
    for (const key of Object.keys(raw).sort())
        if (!FIELDS.includes(key))
            problems.push(`field '${key}' is not one of the record's fields (${FIELDS.join(', ')})`);
    if (problems.length)
        throw new errors/* InputError */.dz('metadata', problems.map((problem) => `${relative}: ${problem}`).join('\n'));
    return description;
}
/** Reads the fields one by one, noting what is wrong rather than stopping at the first. */
class Fields {
    raw;
    problems;
    constructor(raw, problems) {
        this.raw = raw;
        this.problems = problems;
    }
    read() {
        const organisation = this.raw.organisation;
        const org = organisation && typeof organisation === 'object' ? organisation : undefined;
        if (!org)
            this.problems.push("field 'organisation' is missing; add organisation: {name: <who produces the data>, email: <their address>}");
        const orgName = org ? this.text(org, 'name', 'organisation.name', 'the producing organisation') : '';
        const orgEmail = org ? this.email(org, 'email', 'organisation.email') : '';
        const creationDate = this.text(this.raw, 'creation-date', 'creation-date', 'the date the data was made, as 2024-06-30');
        if (creationDate && (!/^\d{4}-\d{2}-\d{2}$/.test(creationDate) || Number.isNaN(Date.parse(creationDate))))
            this.problems.push(`field 'creation-date' is '${creationDate}', not a date; write it as 2024-06-30`);
        const identifier = this.optional('identifier');
        if (identifier !== undefined && !IDENTIFIER.test(identifier))
            this.problems.push(`field 'identifier' '${identifier}' may hold only letters, digits, '_', '-' and '.'`);
        const scale = this.raw['scale-denominator'];
        if (scale !== undefined && !(Number.isInteger(scale) && scale > 0))
            this.problems.push("field 'scale-denominator' is not a whole number; write the scale's denominator, for example 1000");
        return {
            title: this.text(this.raw, 'title', 'title', "the data's name, for example Orthophotographie 2024"),
            abstract: this.text(this.raw, 'abstract', 'abstract', 'a few sentences on what the data is'),
            identifier,
            organisation: { name: orgName, email: orgEmail },
            contactEmail: this.raw['contact-email'] === undefined ? orgEmail : this.email(this.raw, 'contact-email', 'contact-email'),
            topicCategories: this.list('topic-categories', TOPIC_CATEGORIES, true),
            inspireThemes: this.list('inspire-themes'),
            keywords: this.list('keywords'),
            creationDate,
            maintenanceFrequency: this.choice('maintenance-frequency', FREQUENCIES, 'unknown'),
            lineage: this.optional('lineage'),
            language: this.choice('language', undefined, 'fre'),
            level: this.choice('level', ['dataset', 'series'], 'dataset'),
            scaleDenominator: typeof scale === 'number' ? scale : undefined,
            inspire: this.flag('inspire'),
            openData: this.flag('open-data'),
            producer: this.optional('producer'),
            productionYear: this.optional('production-year'),
        };
    }
    text(from, key, name, what) {
        const value = from[key];
        if (value === undefined || value === null || (typeof value === 'string' && !value.trim())) {
            this.problems.push(`field '${name}' is missing; add ${name}: <${what}>`);
            return '';
        }
        if (typeof value !== 'string' && typeof value !== 'number') {
            this.problems.push(`field '${name}' is not text; write ${name}: <${what}>`);
            return '';
        }
        // A YAML date (2024-06-30) parses as a string here: the document is read with the core schema.
        return String(value).trim();
    }
    email(from, key, name) {
        const value = this.text(from, key, name, 'an e-mail address');
        if (value && !EMAIL.test(value))
            this.problems.push(`field '${name}' is '${value}', not an e-mail address`);
        return value;
    }
    optional(key) {
        const value = this.raw[key];
        if (value === undefined || value === null)
            return undefined;
        if (typeof value !== 'string' && typeof value !== 'number') {
            this.problems.push(`field '${key}' is not text`);
            return undefined;
        }
        return String(value).trim() || undefined;
    }
    list(key, allowed, required = false) {
        const value = this.raw[key];
        if (value === undefined || value === null) {
            if (required)
                this.problems.push(`field '${key}' is missing; add at least one of ${allowed?.join(', ')}`);
            return [];
        }
        const items = Array.isArray(value) ? value : [value];
        if (items.some((item) => typeof item !== 'string' || !item.trim())) {
            this.problems.push(`field '${key}' is not a list of words; write ${key}: [first, second]`);
            return [];
        }
        const words = [...new Set(items.map((item) => item.trim()))];
        const unknown = allowed ? words.filter((word) => !allowed.includes(word)) : [];
        if (unknown.length)
            this.problems.push(`field '${key}' has ${unknown.join(', ')}, not among ${allowed?.join(', ')}`);
        if (required && words.length === 0)
            this.problems.push(`field '${key}' is empty; add at least one of ${allowed?.join(', ')}`);
        return words;
    }
    choice(key, allowed, fallback) {
        const value = this.optional(key) ?? fallback;
        if (allowed && !allowed.includes(value))
            this.problems.push(`field '${key}' is '${value}', not one of ${allowed.join(', ')}`);
        if (!allowed && !/^[a-z]{3}$/.test(value))
            this.problems.push(`field '${key}' is '${value}', not a three-letter ISO 639-2 code such as fre`);
        return value;
    }
    flag(key) {
        const value = this.raw[key];
        if (value === undefined)
            return false;
        if (typeof value !== 'boolean')
            this.problems.push(`field '${key}' is not true or false`);
        return value === true;
    }
}

// EXTERNAL MODULE: ./src/layer/types.ts
var types = __webpack_require__(776);
// EXTERNAL MODULE: ./src/shared/format.ts
var format = __webpack_require__(6338);
// EXTERNAL MODULE: ./src/workspace/changes.ts + 2 modules
var changes = __webpack_require__(6114);
;// CONCATENATED MODULE: ./src/catalogue/services.ts
/** How a record names a layer's service: the protocol the catalogue reads, and the URL type it takes. */
const PROTOCOL = { 'WMTS-TMS': 'OGC:WMTS', 'WMS-RASTER': 'OGC:WMS' };
const URL_TYPE = { 'WMTS-TMS': 'WMTS', 'WMS-RASTER': 'WMS' };
/**
 * One online resource: the first URL of the service's type among `urls` (an endpoint's first, then
 * an offering's), without its query (an endpoint, not a GetMap template); none without a URL.
 */
function recordService(type, layerName, urls, open) {
    const url = urls.find((u) => u.type === URL_TYPE[type])?.url;
    return url ? { protocol: PROTOCOL[type], url: withoutDoubledSlashes(url.split('?')[0]), layerName, open } : undefined;
}
/** Doubled slashes after the scheme dropped, as the portal does with the endpoints' URLs. */
function withoutDoubledSlashes(url) {
    return url.replace(/([^:])\/{2,}/g, '$1/');
}

;// CONCATENATED MODULE: ./src/catalogue/facts.ts




/** The record's run: the plan, and what the layer and the rasters say. */
function recordRun(context) {
    const { plan, config, workspace, signal, layer, update, ground, endpoints, commit, neighbours } = context;
    const services = recordServices(layer, update, endpoints, config.public, config.dryRun);
    const pyramid = layer.storedData?.bbox ?? update.live?.bbox;
    // Alone in its fiche, the layer's extent is its rasters'; with others, whose rasters the run cannot
    // read, every layer's is its pyramid's: the same record whichever layer runs.
    const others = neighbours?.extents ?? [];
    const own = others.length && pyramid ? pyramid : layerExtent(ground, pyramid);
    return {
        plan,
        commit,
        ancestry: (since) => (0,changes/* ancestrySince */.sw)(since, workspace, signal),
        datasheet: config.datasheet ?? '',
        dryRun: config.dryRun,
        publish: config.metadataPublish,
        // By layer name, then WMTS before WMS: the same order whichever layer of the fiche runs.
        services: [...services, ...(neighbours?.services ?? [])].sort((a, b) => (0,format/* compareText */.n6)(a.layerName, b.layerName) || (0,format/* compareText */.n6)(b.protocol, a.protocol)),
        extent: unionOf([...(own ? [own] : []), ...others]),
        scaleDenominator: scaleDenominator(ground.pixelMetres),
        thumbnail: { choice: config.thumbnail, workspace, layer: layer.layer, preview: layer.preview, built: (0,types/* builds */.G)(update.kind), signal },
    };
}
/**
 * What the record says that the run knows rather than the repository's description: the services
 * the layer serves (each endpoint's URL and the layer's name), its extent and its resolution.
 */
/** OGC's standardised rendering pixel, 0.28 mm: a scale denominator is the ground pixel over it. */
const RENDERING_PIXEL_METRES = 0.00028;
/** Decimal places of a bound in degrees: about 0.1 m, below any raster's pixel. */
const BOUND_DECIMALS = 6;
/** One online resource per service the layer serves (a dry run: would serve); recordRun orders them. */
function recordServices(report, update, endpoints, open, dryRun) {
    const types = dryRun ? update.services.map((s) => s.type) : report.services.filter((s) => s.offering).map((s) => s.type);
    const offered = Object.entries(report.urls).map(([type, url]) => ({ type, url }));
    return [...new Set(types)].flatMap((type) => {
        const endpoint = endpoints.find((e) => e.type === type && e.open === open);
        return recordService(type, report.layer, [...(endpoint?.urls ?? []), ...offered], open) ?? [];
    });
}
/**
 * The layer's extent: the union of the rasters' footprints when every raster's header was read;
 * else the pyramid's extent, which the platform computed from all of them (a pointer never read
 * has no footprint here); else the footprints known.
 */
function layerExtent(ground, pyramidBbox) {
    const chosen = ground.extent && ground.unplaced === 0 ? ground.extent : (pyramidBbox ?? ground.extent);
    return chosen && rounded(chosen);
}
/** A box's bounds to BOUND_DECIMALS places, as the record writes them. */
function rounded(box) {
    const round = (value) => Number(value.toFixed(BOUND_DECIMALS));
    return [round(box[0]), round(box[1]), round(box[2]), round(box[3])];
}
/** The smallest box holding every one of `boxes`, rounded as a record's bounds are. */
function unionOf(boxes) {
    if (boxes.length === 0)
        return undefined;
    const [first, ...rest] = boxes;
    const union = rest.reduce((u, b) => [Math.min(u[0], b[0]), Math.min(u[1], b[1]), Math.max(u[2], b[2]), Math.max(u[3], b[3])], [...first]);
    return rounded(union);
}
/** The scale at which one pixel of the data fills one rendering pixel, rounded to two significant digits. */
function scaleDenominator(pixelMetres) {
    if (!pixelMetres || !Number.isFinite(pixelMetres))
        return undefined;
    const raw = pixelMetres / RENDERING_PIXEL_METRES;
    const magnitude = 10 ** Math.max(0, Math.floor(Math.log10(raw)) - 1);
    return Math.max(1, Math.round(raw / magnitude) * magnitude);
}

;// CONCATENATED MODULE: ./src/catalogue/neighbours.ts


async function ficheNeighbours(api, datasheet, layer, endpoints) {
    const others = (await api.configurationsTagged({ [inputs/* DATASHEET_TAG */.L2]: datasheet })).filter((c) => c.type && c.layerName !== layer);
    const services = [];
    const pyramids = new Set();
    for (const configuration of others) {
        const type = configuration.type;
        const [offering] = await api.offeringsOf(configuration.id);
        if (!type || !offering)
            continue;
        const endpoint = endpoints.find((e) => e.id === offering.endpointId);
        const service = recordService(type, configuration.layerName, [...(endpoint?.urls ?? []), ...offering.urls], offering.open ?? endpoint?.open ?? true);
        if (!service)
            continue;
        services.push(service);
        for (const used of configuration.usedData)
            pyramids.add(used.stored_data);
    }
    const extents = (await Promise.all([...pyramids].map((id) => api.storedData(id).catch(() => undefined)))).flatMap((sd) => sd?.bbox ? [sd.bbox] : []);
    return { services, extents };
}

;// CONCATENATED MODULE: ./src/catalogue/plan.ts




/**
 * The record's plan, made before anything is sent: its source read and checked, its file
 * identifier (the datastore's prefix), the METADATA endpoint it is published on, and what every
 * configuration of the layer carries for it (links and keywords: docs/catalogue.md). A problem
 * here stops the run before the first data POST.
 */
/** The catalogue's page of a record (cartes.gouv.fr, geonetwork-ui). */
const CATALOGUE_PAGE = 'https://cartes.gouv.fr/catalogue/dataset/';
/** Where the CSW answers in production, when the datastore's METADATA endpoint gives no URL. */
const PRODUCTION_CSW = 'https://data.geopf.fr/csw';
async function planCatalogue(input) {
    const { source } = input;
    const fileIdentifier = fileIdentifierOf(source, input.layer, input.datastore.metadataPrefix);
    // The first open METADATA endpoint, as the portal takes it (docs/catalogue.md, "Publication").
    const metadataEndpoint = input.endpoints.find((e) => e.type === 'METADATA' && e.open);
    if (input.publish && !metadataEndpoint)
        throw new errors/* LayerStateError */.BD('The datastore has no open METADATA endpoint to publish the record on; set metadata-publish: false, or ask IGN to add one');
    const { existing, others } = await findRecord(input, fileIdentifier, metadataEndpoint);
    const endpointUrl = metadataEndpoint?.urls.find((u) => u.type === 'METADATA')?.url ?? metadataEndpoint?.urls[0]?.url;
    const cswBase = withoutDoubledSlashes(endpointUrl ?? PRODUCTION_CSW);
    // Identifiers starting with "sandbox" are read from the sandbox CSW (docs/catalogue.md).
    const csw = /^sandbox/i.test(fileIdentifier) ? cswBase.replace(/\/csw$/, '/sandbox/csw') : cswBase;
    const cswUrl = `${csw}?REQUEST=GetRecordById&SERVICE=CSW&VERSION=2.0.2&OUTPUTSCHEMA=http://www.isotc211.org/2005/gmd&elementSetName=full&ID=${encodeURIComponent(fileIdentifier)}`;
    const catalogueUrl = `${CATALOGUE_PAGE}${encodeURIComponent(fileIdentifier)}`;
    const links = [
        { format: 'application/xml', type: 'ISO19115:2003', url: cswUrl },
        { format: 'text/html', type: 'Other', url: catalogueUrl },
    ];
    const description = source.kind === 'yaml' ? source.description : undefined;
    const keywords = description ? [...new Set([...description.topicCategories, ...description.inspireThemes, ...description.keywords])] : [];
    const technical = input.datastore.technicalName;
    return {
        source,
        fileIdentifier,
        existing,
        others,
        endpoints: input.endpoints,
        endpoint: metadataEndpoint ? { id: metadataEndpoint.id } : undefined,
        catalogueUrl,
        cswUrl,
        annexRoot: technical ? `${new URL(input.apiUrl).origin}/annexes/${encodeURIComponent(technical)}` : undefined,
        configurations: {
            links,
            // An earlier link of the action's: the CSW's GetRecordById or the catalogue's page of this identifier.
            ownsLink: (link) => link.url === catalogueUrl ||
                (link.type === 'ISO19115:2003' && new RegExp(`[?&]ID=${encodeURIComponent(fileIdentifier)}$`).test(link.url)),
            keywords,
        },
        configurationTags: description?.topicCategories.length ? { theme: description.topicCategories.join(', ') } : {},
        storedDataTags: description
            ? producerTags(description.producer ?? description.organisation.name, description.productionYear ?? description.creationDate.slice(0, 4))
            : {},
    };
}
/**
 * The record itself, by its identifier (unique on the platform): the datastore's truth, not a tag;
 * and the others that carry the fiche's name. Refused here: a fiche whose record has another
 * identifier, a publication with no room left.
 */
async function findRecord(input, fileIdentifier, metadataEndpoint) {
    const records = await input.api.metadataList();
    const existing = records.find((m) => m.fileIdentifier === fileIdentifier);
    const others = records
        .filter((m) => m !== existing && input.datasheet && m.tags[inputs/* DATASHEET_TAG */.L2] === input.datasheet)
        .map((m) => m.fileIdentifier);
    // The fiche has its record already, under another identifier: a second would leave the fiche two
    // (it shows the first), and identifiers never change once published. Said before anything is sent.
    if (!existing && others.length)
        throw renamedRecord(input.source, others[0], input.datasheet ?? '');
    const published = existing && metadataEndpoint ? existing.endpointIds.includes(metadataEndpoint.id) : false;
    const { use, quota } = metadataEndpoint ?? {};
    if (input.publish && !published && use !== undefined && quota !== undefined && use >= quota)
        throw new errors/* LayerStateError */.BD(`The datastore's METADATA endpoint holds ${use} of its ${quota} records: no room to publish this one; unpublish a record you no longer need, set metadata-publish: false, or ask IGN for a larger quota`);
    return { existing, others };
}
function renamedRecord(source, held, datasheet) {
    const fix = source.kind === 'yaml' ? `set identifier: ${held} in ${source.path}` : `write ${held} in ${source.path}'s gmd:fileIdentifier`;
    return new errors/* InputError */.dz('metadata', `the fiche '${datasheet}' has its record already, ${held}, and a record's identifier never changes once published: ${fix} (or delete that record first)`);
}
function producerTags(producer, year) {
    if (!/^\d{4}$/.test(year))
        throw new errors/* InputError */.dz('metadata', `production-year '${year}' is not a year; write it as 2024`);
    return { producer, production_year: year };
}

;// CONCATENATED MODULE: ./src/catalogue/index.ts
/**
 * What `main` runs of the catalogue stage, loaded only when the run has a metadata record: its
 * XML and YAML libraries stay out of the start-up of every other run (as proj4 for the map).
 */







/***/ })

};
