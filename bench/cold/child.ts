// The same program as child.mjs, started as a TypeScript file (as a TypeScript
// project would be), so Node's type stripping or tsx is loaded in the main thread too.
import './child.mjs';
