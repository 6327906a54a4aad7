// The Customer.io emulator's public surface for the sandbox server and tests.
export { createCustomerioEmulator, type CustomerioEmulator, type CioVariants } from './emulator.js';
export type { CioState, CioPerson, CioSegment, CioExport } from './model.js';
export { checkFilter, matchFilter, type Filter } from './filter.js';
