/**
 * What `main` runs of the catalogue stage, loaded only when the run has a metadata record: its
 * XML and YAML libraries stay out of the start-up of every other run (as proj4 for the map).
 */
export { reconcileRecord } from './catalogue.js';
export { readRecordSource } from './description.js';
export { recordRun } from './facts.js';
export { ficheNeighbours } from './neighbours.js';
export { planCatalogue } from './plan.js';
