'use strict';
// t/openapi_responses.js DOC DIR: validates every response kept in DIR
// (t/e2e_lib.sh's e2e_record: N.meta, N.headers, N.body) against the
// OpenAPI document DOC with openapi-backend (npm, pinned in tools/npm/,
// with ajv-formats), which finds the operation a request reached (method
// and path) and validates with Ajv: the JSON body against the schema of
// its status (formats included), and the declared response headers. Around it, what the library leaves to its
// caller: the status must be one the operation documents, a header the
// document marks required must be there, and a body must come with a
// Content-Type the status documents. Run by t/e2e_openapi.sh.
//
// Prints "ok - ..." or "not ok - ...: why" per response, a "#" line for
// each response to a path no operation has (a 404 for an unknown path,
// say: nothing to validate it against), then "N passed, M failed". With
// --every-operation, an operation of the document that no response
// reached is a failure too.

const fs = require('fs');
const path = require('path');
const { OpenAPIBackend } = require('openapi-backend');
const addFormats = require('ajv-formats');

// The last header block of curl's -D file (after a 100 Continue, say),
// as lower-case name -> value, and the status line's code.
function parseHeaders(text) {
	const blocks = text.split(/\r?\n\r?\n/).filter((b) => /^HTTP\//.test(b));
	const headers = {};
	if (blocks.length === 0)
		return headers;
	for (const line of blocks[blocks.length - 1].split(/\r?\n/).slice(1)) {
		const i = line.indexOf(':');
		if (i > 0)
			headers[line.slice(0, i).trim().toLowerCase()] =
			    line.slice(i + 1).trim();
	}
	return headers;
}

// Ajv's errors as text, each path after prefix.
function ajvText(errors, prefix) {
	return errors.map((e) => `${prefix}${e.instancePath} ${e.message}` +
	    (e.params && Object.keys(e.params).length ?
	    ` ${JSON.stringify(e.params)}` : ''));
}

// The response object the operation documents for status, and its key.
function documented(op, status) {
	const r = op.responses || {};
	for (const k of [String(status), `${Math.floor(status / 100)}XX`,
	    'default'])
		if (r[k] !== undefined)
			return { key: k, res: r[k] };
	return null;
}

// Why one recorded response breaks the document: a list, empty if none.
function judge(api, op, method, status, headers, body) {
	const why = [];
	const doc = documented(op, status);

	if (doc === null)
		return [`status ${status} is not documented (documented: ` +
		    `${Object.keys(op.responses || {}).join(' ')})`];
	for (const [name, h] of Object.entries(doc.res.headers || {}))
		if (h.required && headers[name.toLowerCase()] === undefined)
			why.push(`required header ${name} missing`);
	const hv = api.validator.validateResponseHeaders(headers, op,
	    { statusCode: status, setMatchType: 'any' });
	if (!hv.valid)
		why.push(...ajvText(hv.errors, ''));
	if (method === 'HEAD' || body.length === 0) {
		if (method !== 'HEAD' && doc.res.content !== undefined &&
		    status !== 204 && Object.keys(doc.res.content).length > 0)
			why.push('no body, where the document has one');
		return why;
	}
	const type = (headers['content-type'] || '').split(';')[0].trim();
	const content = doc.res.content || {};
	if (content[type] === undefined) {
		why.push(`Content-Type "${type}" is not documented for ` +
		    `${status} (documented: ${Object.keys(content).join(' ') ||
		    'no body'})`);
		return why;
	}
	if (type !== 'application/json')
		return why;
	let json;
	try {
		json = JSON.parse(body.toString('utf8'));
	} catch (e) {
		why.push(`body is not JSON: ${e.message}`);
		return why;
	}
	const v = api.validator.validateResponse(json, op, status);
	if (!v.valid)
		why.push(...ajvText(v.errors, 'body'));
	return why;
}

async function main() {
	const args = process.argv.slice(2);
	const every = args[0] === '--every-operation';
	const [docPath, dir] = every ? args.slice(1) : args;
	if (!docPath || !dir) {
		console.error('usage: openapi_responses.js ' +
		    '[--every-operation] DOC DIR');
		process.exit(2);
	}
	const definition = JSON.parse(fs.readFileSync(docPath, 'utf8'));
	// strict: a document the library finds invalid is an error here.
	// ajv-formats: the document's formats (date-time, email, uri) are
	// checked too, not ignored.
	const api = new OpenAPIBackend({ definition, strict: true,
	    validate: true, quick: false,
	    customizeAjv: (ajv) => addFormats(ajv) });
	await api.init();
	const metas = fs.readdirSync(dir).filter((f) => f.endsWith('.meta'))
	    .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
	let passed = 0, failed = 0, unmatched = 0;
	const seen = new Set();

	for (const m of metas) {
		const base = path.join(dir, m.slice(0, -'.meta'.length));
		const [method, target, code] = fs.readFileSync(`${base}.meta`,
		    'utf8').split('\n');
		const status = Number(code);
		const headers = parseHeaders(fs.readFileSync(`${base}.headers`,
		    'latin1'));
		const body = fs.readFileSync(`${base}.body`);
		const [p, q] = target.split('?');
		// A HEAD is answered as the GET of the same path, less the body.
		// The router forgives a trailing slash; the service does not
		// (404), and no path of the document has one.
		const op = p.length > 1 && p.endsWith('/') ? undefined :
		    api.router.matchOperation({
			method: method === 'HEAD' ? 'get' : method.toLowerCase(),
			path: p, headers: {}, query: q || '' });
		const name = `${method} ${target} ${status}`;

		if (!op) {
			unmatched++;
			console.log(`# ${name}: no operation of the document ` +
			    'has this method and path (not validated)');
			continue;
		}
		seen.add(op.operationId);
		const why = judge(api, op, method, status, headers, body);
		if (why.length === 0) {
			passed++;
			console.log(`ok - ${name} (${op.operationId})`);
		} else {
			failed++;
			console.log(`not ok - ${name} (${op.operationId}): ` +
			    why.join('; '));
		}
	}
	const missed = api.getOperations().map((o) => o.operationId)
	    .filter((id) => !seen.has(id));
	console.log(`# ${metas.length} responses, ${unmatched} outside the ` +
	    `document; operations no response reached: ${missed.join(' ') ||
	    'none'}`);
	if (every && missed.length > 0) {
		failed++;
		console.log('not ok - every operation answered at least once: ' +
		    `not ${missed.join(' ')}`);
	} else if (every) {
		passed++;
		console.log('ok - every operation answered at least once');
	}
	if (metas.length === 0) {
		failed++;
		console.log(`not ok - responses to validate: none in ${dir}`);
	}
	console.log(`${passed} passed, ${failed} failed`);
	process.exit(failed > 0 ? 1 : 0);
}

main().catch((e) => {
	console.log(`not ok - openapi-backend: ${e.message}`);
	console.log('0 passed, 1 failed');
	process.exit(1);
});
