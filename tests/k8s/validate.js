#!/usr/bin/env node
// SPDX-License-Identifier: BSD-3-Clause
'use strict';
/*
 * Schema and consistency check of gsnet's Kubernetes manifests.
 *
 *   node tests/k8s/validate.js DIR         the kustomization in DIR (deploy/k8s):
 *                                          its resources and generated ConfigMaps
 *   node tests/k8s/validate.js FILE | -    a rendered stream (kubectl kustomize DIR)
 *   node tests/k8s/validate.js --self-test every kind of mistake below is caught
 *
 * Every object is validated against the Kubernetes API's schema (the
 * kubernetes-models package: its JSON schema validators, and its type
 * declarations for fields the API does not know, which those validators let
 * through); the NetworkAttachmentDefinition, a custom resource that
 * kubernetes-models has no model for, against schemas/*.json (ajv). Then the
 * gsnet pod is checked for what no schema says (consistency, below): one
 * line per object and per check, "... OK"; the first problem is printed and
 * the exit status is 1 (2: bad usage).
 */

const fs = require('fs');
const path = require('path');
const yaml = require('js-yaml');
const Ajv = require('ajv');

class Invalid extends Error {}

function fail(msg) {
	throw new Invalid(msg);
}

function need(cond, msg) {
	if (!cond)
		fail(msg);
}

const clone = (o) => JSON.parse(JSON.stringify(o));
const isObj = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const id = (o) => `${o.kind}/${o.metadata && o.metadata.name}`;

/* --- loading ------------------------------------------------------------------------ */

// YAML 1.1, as kubectl reads manifests: 0400 is octal, `on` is true.
function loadYaml(text, where) {
	let docs;
	try {
		docs = yaml.loadAll(text, { schema: yaml.YAML11_SCHEMA, filename: where });
	} catch (e) {
		fail(`${where}: not YAML: ${e.message}`);
	}
	const out = [];
	docs.forEach((obj, i) => {
		if (obj === null || obj === undefined)
			return;
		need(isObj(obj), `${where}, document ${i + 1}: not a mapping`);
		out.push({ obj, where: `${path.basename(where)}#${i + 1}` });
	});
	return out;
}

const KUSTOMIZATION_KEYS = new Set(['apiVersion', 'kind', 'namespace', 'resources',
	'configMapGenerator', 'secretGenerator', 'generatorOptions', 'labels', 'commonLabels',
	'commonAnnotations', 'images', 'patches', 'components']);

/* A kustomization: its resources and the ConfigMaps its configMapGenerator makes
 * (named without the hash kustomize appends; the DaemonSet names them so too). */
function loadDir(dir) {
	const kfile = path.join(dir, 'kustomization.yaml');
	need(fs.existsSync(kfile), `${dir}: no kustomization.yaml`);
	const [kdoc, ...extra] = loadYaml(fs.readFileSync(kfile, 'utf8'), kfile);
	need(kdoc && extra.length === 0, `${kfile}: expected one document`);
	const k = kdoc.obj;
	need(k.apiVersion === 'kustomize.config.k8s.io/v1beta1' && k.kind === 'Kustomization',
		`${kfile}: not a kustomize.config.k8s.io/v1beta1 Kustomization`);
	for (const key of Object.keys(k))
		need(KUSTOMIZATION_KEYS.has(key), `${kfile}: unknown field ${key}`);
	const resources = k.resources || [];
	const yamls = fs.readdirSync(dir).filter((f) => /\.ya?ml$/.test(f) && f !== 'kustomization.yaml');
	for (const f of yamls)
		need(resources.includes(f), `${kfile}: ${f} is not in resources (it would never be applied)`);
	const objects = [];
	for (const r of resources) {
		const file = path.join(dir, r);
		need(fs.existsSync(file), `${kfile}: resource ${r} does not exist`);
		objects.push(...loadYaml(fs.readFileSync(file, 'utf8'), file));
	}
	for (const g of k.configMapGenerator || []) {
		need(isObj(g) && typeof g.name === 'string', `${kfile}: configMapGenerator entry without a name`);
		const data = {};
		for (const f of g.files || []) {
			const [key, rel] = f.includes('=') ? f.split('=', 2) : [path.basename(f), f];
			const file = path.join(dir, rel);
			need(fs.existsSync(file), `${kfile}: configMapGenerator ${g.name}: ${rel} does not exist`);
			data[key] = fs.readFileSync(file, 'utf8');
		}
		for (const l of g.literals || []) {
			const eq = l.indexOf('=');
			need(eq > 0, `${kfile}: configMapGenerator ${g.name}: literal '${l}' is not KEY=VALUE`);
			data[l.slice(0, eq)] = l.slice(eq + 1);
		}
		const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: g.name }, data };
		if (g.options && g.options.immutable)
			cm.immutable = true;
		objects.push({ obj: cm, where: `kustomization.yaml configMapGenerator ${g.name}` });
	}
	// kustomize sets the namespace of every namespaced object; the manifests
	// say it themselves too, and must not say another one
	if (k.namespace) {
		for (const { obj, where } of objects) {
			if (obj.kind === 'Namespace' || !isObj(obj.metadata))
				continue;
			need(obj.metadata.namespace === undefined || obj.metadata.namespace === k.namespace,
				`${where}: ${id(obj)} is in namespace ${obj.metadata.namespace}, the kustomization puts everything in ${k.namespace}`);
			obj.metadata.namespace = k.namespace;
		}
	}
	return objects;
}

function loadInput(arg) {
	if (arg === '-')
		return loadYaml(fs.readFileSync(0, 'utf8'), 'stdin');
	need(fs.existsSync(arg), `${arg}: no such file or directory`);
	if (fs.statSync(arg).isDirectory())
		return loadDir(arg);
	return loadYaml(fs.readFileSync(arg, 'utf8'), arg);
}

/* --- schemas -------------------------------------------------------------------------- */

/*
 * Field names from kubernetes-models' type declarations (.d.ts): its JSON schema
 * validators do not refuse unknown fields, which the API server does (kubectl's
 * strict field validation): `shareProcessNamespaces: true` would pass them.
 */
class Declarations {
	constructor() {
		this.files = new Map();
	}

	static dtsOf(jsFile) {
		return jsFile.replace(/\.(c|m)?js$/, '.d.ts');
	}

	resolve(fromFile, spec) {
		if (spec.startsWith('.'))
			return path.resolve(path.dirname(fromFile), spec.replace(/\.js$/, '')) + '.d.ts';
		return Declarations.dtsOf(require.resolve(spec, { paths: [path.dirname(fromFile)] }));
	}

	parse(file) {
		if (this.files.has(file))
			return this.files.get(file);
		const text = fs.readFileSync(file, 'utf8');
		const imports = new Map();
		for (const m of text.matchAll(/import\s*\{([^}]*)\}\s*from\s*"([^"]+)"/g))
			for (const part of m[1].split(',')) {
				const [orig, alias] = part.trim().split(/\s+as\s+/);
				if (orig)
					imports.set((alias || orig).trim(), m[2]);
			}
		const head = /export interface (\w+)(?:\s+extends\s+[^{]+)?\s*\{/.exec(text);
		const info = { file, imports, name: head ? head[1] : path.basename(file), fields: null, open: false };
		if (head)
			Object.assign(info, Declarations.body(text, head.index + head[0].length));
		this.files.set(file, info);
		return info;
	}

	// the members of an interface body: name -> type text
	static body(text, i) {
		const fields = new Map();
		let open = false;
		const skip = () => {
			for (;;) {
				while (/\s/.test(text[i]))
					i++;
				if (text.startsWith('/*', i))
					i = text.indexOf('*/', i) + 2;
				else if (text.startsWith('//', i))
					i = text.indexOf('\n', i) + 1;
				else
					return;
			}
		};
		for (;;) {
			skip();
			if (text[i] === '}' || i >= text.length)
				return { fields, open };
			let name;
			if (text[i] === '"') {
				const j = text.indexOf('"', i + 1);
				name = text.slice(i + 1, j);
				i = j + 1;
			} else if (text[i] === '[') { // index signature: any key
				open = true;
				i = text.indexOf(']', i) + 1;
				name = null;
			} else {
				name = /^[A-Za-z_$][\w$]*/.exec(text.slice(i))[0];
				i += name.length;
			}
			if (text[i] === '?')
				i++;
			skip();
			if (text[i] !== ':')
				throw new Error(`${text.slice(i, i + 40)}: cannot read this declaration`);
			let depth = 0;
			const start = ++i;
			for (; i < text.length; i++) {
				const ch = text[i];
				if (ch === '"')
					i = text.indexOf('"', i + 1);
				else if ('{<(['.includes(ch))
					depth++;
				else if ('}>)]'.includes(ch))
					depth--;
				else if (ch === ';' && depth === 0)
					break;
			}
			if (name !== null)
				fields.set(name, text.slice(start, i).trim());
			i++;
		}
	}

	type(info, t) {
		let m;
		t = t.trim();
		if ((m = /^Array<([\s\S]*)>$/.exec(t)))
			return { array: this.type(info, m[1]) };
		if ((m = /^\{\s*\[\w+: string\]:\s*([\s\S]*?);?\s*\}$/.exec(t)))
			return { map: this.type(info, m[1]) };
		if (/^\w+$/.test(t) && info.imports.has(t))
			return { file: this.resolve(info.file, info.imports.get(t)) };
		return {}; // string, number, boolean, literals, unions: no fields
	}

	walk(value, desc, where) {
		if (desc.array) {
			if (Array.isArray(value))
				value.forEach((v, i) => this.walk(v, desc.array, `${where}[${i}]`));
		} else if (desc.map) {
			if (isObj(value))
				for (const [k, v] of Object.entries(value))
					this.walk(v, desc.map, `${where}[${JSON.stringify(k)}]`);
		} else if (desc.file && isObj(value)) {
			const info = this.parse(desc.file);
			if (info.fields === null || info.open)
				return;
			for (const [k, v] of Object.entries(value)) {
				need(info.fields.has(k), `${where}.${k}: unknown field (${info.name.replace(/^I/, '')} has no field "${k}")`);
				this.walk(v, this.type(info, info.fields.get(k)), `${where}.${k}`);
			}
		}
	}
}

const declarations = new Declarations();
const ajv = new Ajv({ allErrors: true, strict: true });
const nadSchema = ajv.compile(require('./schemas/network-attachment-definition.json'));
const sriovSchema = ajv.compile(require('./schemas/sriov-cni-config.json'));

function checkNad(obj) {
	if (!nadSchema(obj))
		fail(ajv.errorsText(nadSchema.errors, { dataVar: 'NetworkAttachmentDefinition' }));
	let cni;
	try {
		cni = JSON.parse(obj.spec.config);
	} catch (e) {
		fail(`spec.config is not JSON: ${e.message}`);
	}
	if (!sriovSchema(cni))
		fail(ajv.errorsText(sriovSchema.errors, { dataVar: 'spec.config' }));
	need(cni.name === obj.metadata.name, `spec.config names the network "${cni.name}", the object is "${obj.metadata.name}"`);
	need(typeof (obj.metadata.annotations || {})['k8s.v1.cni.cncf.io/resourceName'] === 'string',
		'no k8s.v1.cni.cncf.io/resourceName annotation: Multus would not know which device pool the VF comes from');
}

// apiVersion "v1" -> kubernetes-models/v1/KIND, "apps/v1" -> kubernetes-models/apps/v1/KIND
function model(apiVersion, kind) {
	need(typeof apiVersion === 'string' && /^([a-z0-9.-]+\/)?v[0-9]+((alpha|beta)[0-9]+)?$/.test(apiVersion) &&
		typeof kind === 'string' && /^[A-Z][A-Za-z0-9]*$/.test(kind),
	`apiVersion "${apiVersion}" / kind "${kind}" is not an API type`);
	const spec = `kubernetes-models/${apiVersion}/${kind}`;
	let file;
	try {
		file = require.resolve(spec);
	} catch (e) {
		fail(`no schema for apiVersion ${apiVersion}, kind ${kind} (no such Kubernetes API type)`);
	}
	return { Model: require(file)[kind], dts: Declarations.dtsOf(file) };
}

function checkSchema(obj) {
	need(isObj(obj.metadata) && typeof obj.metadata.name === 'string' && obj.metadata.name !== '', 'no metadata.name');
	if (obj.apiVersion === 'k8s.cni.cncf.io/v1' && obj.kind === 'NetworkAttachmentDefinition')
		return checkNad(obj);
	const { Model, dts } = model(obj.apiVersion, obj.kind);
	need(typeof Model === 'function', `kubernetes-models has no ${obj.kind} in ${obj.apiVersion}`);
	try {
		new Model(clone(obj)).validate();
	} catch (e) {
		fail(e.message);
	}
	declarations.walk(obj, { file: dts }, obj.kind);
	return undefined;
}

/* --- consistency: what a reader of the gsnet pod expects and no schema says -------------- */

// Kubernetes quantities ("2", "500m", "1Gi", "1e3") as numbers
function quantity(q, where) {
	const m = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E))?$/.exec(String(q));
	need(m, `${where}: "${q}" is not a quantity`);
	const mult = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
		n: 1e-9, u: 1e-6, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };
	return parseFloat(m[1]) * (m[2] ? 10 ** parseInt(m[2].slice(1), 10) : m[3] ? mult[m[3]] : 1);
}

// gsnet.ini as the config loader reads it: [section] key = value, ; and # comments
function parseIni(text) {
	const ini = new Map();
	let sec = null;
	text.split('\n').forEach((raw) => {
		const line = raw.trim();
		let m;
		if (line === '' || line.startsWith(';') || line.startsWith('#'))
			return;
		if ((m = /^\[([^\]]+)\]$/.exec(line))) {
			sec = m[1].trim();
			if (!ini.has(sec))
				ini.set(sec, new Map());
		} else if ((m = /^([^=]+?)\s*=\s*(.*)$/.exec(line)) && sec !== null) {
			ini.get(sec).set(m[1], m[2]);
		}
	});
	return ini;
}

// the config section of a role: [primary], [stats], [ctl]; a handler's is its class's
const sectionOf = (role) => (['primary', 'stats', 'ctl'].includes(role) ? role : `class.${role}`);
// [role] lcore_first / lcore_count when the file says nothing (shared/src/cfg_defaults.c)
const LCORE_DEFAULTS = { primary: [1, 1], session: [10, 4], move: [20, 4], combat: [30, 4], stats: [60, 1], ctl: [62, 1] };
const ENTRYPOINT = /(^|\/)gsnet-entrypoint$/;

// what a gsnet container runs: its binary, -c, -i and -o options
function gsnetArgv(c) {
	const argv = [...(c.command || []), ...(c.args || [])];
	const at = argv.findIndex((a) => /(^|\/)gs-[a-z]+$/.test(a));
	if (at < 0)
		return null;
	const role = argv[at].replace(/^.*\/gs-|^gs-/, '');
	const run = { role, config: null, instance: null, overrides: [], argv };
	for (let i = at + 1; i < argv.length; i++) {
		if (argv[i] === '-c')
			run.config = argv[++i];
		else if (argv[i] === '-i')
			run.instance = argv[++i];
		else if (argv[i] === '-o')
			run.overrides.push(argv[++i]);
	}
	return run;
}

const CHECKS = [];
function check(name, fn) {
	CHECKS.push({ name, fn });
}

// The file a container sees at an absolute path, through its volume mounts.
function fileIn(g, c, file) {
	const mounts = (c.volumeMounts || []).filter((m) => file.startsWith(m.mountPath.replace(/\/?$/, '/')));
	need(mounts.length > 0, `container ${c.name}: nothing is mounted where ${file} is`);
	const mount = mounts.sort((a, b) => b.mountPath.length - a.mountPath.length)[0];
	const rel = file.slice(mount.mountPath.replace(/\/?$/, '/').length);
	const vol = g.volumes.get(mount.name);
	need(vol, `container ${c.name}: mounts volume ${mount.name}, which the pod does not have`);
	const fromSource = (src, kind, defaultMode) => {
		const items = src.items || null;
		const item = items ? items.find((it) => it.path === rel) : { key: rel };
		if (!item)
			return null;
		const mode = item.mode !== undefined ? item.mode : defaultMode !== undefined ? defaultMode : 0o644;
		if (kind === 'secret')
			return { secret: src.secretName || src.name, key: item.key, mode, volume: mount.name };
		const cm = g.byKind('ConfigMap').find((o) => o.metadata.name === src.name);
		need(cm, `container ${c.name}: ${file} comes from ConfigMap ${src.name}, which is not among the manifests`);
		need(cm.data && typeof cm.data[item.key] === 'string', `container ${c.name}: ConfigMap ${src.name} has no key ${item.key} (for ${file})`);
		return { configMap: src.name, key: item.key, content: cm.data[item.key], mode, volume: mount.name };
	};
	let found = null;
	if (vol.configMap)
		found = fromSource(vol.configMap, 'configMap', vol.configMap.defaultMode);
	else if (vol.secret)
		found = fromSource(vol.secret, 'secret', vol.secret.defaultMode);
	else if (vol.projected)
		for (const s of vol.projected.sources || []) {
			if ((found = s.configMap ? fromSource(s.configMap, 'configMap', vol.projected.defaultMode) :
				s.secret ? fromSource(s.secret, 'secret', vol.projected.defaultMode) : null))
				break;
		}
	need(found, `container ${c.name}: ${file} is not a file of volume ${mount.name}`);
	return found;
}

function networks(annotation) {
	const text = annotation.trim();
	if (text.startsWith('['))
		return JSON.parse(text).map((n) => ({ name: n.name, namespace: n.namespace }));
	return text.split(',').map((s) => s.trim()).filter(Boolean).map((s) => {
		const [ref] = s.split('@');
		const [a, b] = ref.split('/');
		return b ? { namespace: a, name: b } : { name: a };
	});
}

check('updateStrategy OnDelete: a template change recreates no pod (and no primary)', (g) => {
	const s = g.ds.spec.updateStrategy;
	need(s && s.type === 'OnDelete', `updateStrategy is ${s ? s.type : 'RollingUpdate (the default)'}: with anything but OnDelete, changing one handler's image in the template recreates every pod, primary included`);
});

check('pod shares one process namespace (pid checks between containers)', (g) => {
	need(g.pod.shareProcessNamespace === true, 'shareProcessNamespace is not true: the primary and the handlers check each other by pid');
	for (const k of ['hostNetwork', 'hostPID', 'hostIPC'])
		need(g.pod[k] !== true, `${k}: true is not needed (README.md) and not wanted`);
});

check('each gsnet binary runs, no handler instance twice, -i within its lcore range', (g) => {
	const seen = new Map();
	for (const c of g.containers) {
		const run = g.runs.get(c.name);
		need(run, `container ${c.name} runs no gsnet binary (${[...(c.command || []), ...(c.args || [])].join(' ')})`);
		need(['primary', 'stats'].includes(run.role) || g.classes.includes(run.role),
			`container ${c.name}: gs-${run.role} is neither gs-primary, gs-stats nor the handler of a class of the config ([class.${run.role}] missing)`);
		const inst = run.instance === null ? '0' : run.instance;
		need(/^[0-9]+$/.test(inst), `container ${c.name}: -i ${inst} is not an instance number`);
		const key = run.role === 'primary' || run.role === 'stats' ? run.role : `${run.role} -i ${inst}`;
		need(!seen.has(key), `gs-${key} runs twice (containers ${seen.get(key)} and ${c.name}): the second would be refused at attach`);
		seen.set(key, c.name);
		if (run.role === 'session')
			need(inst === '0', `container ${c.name}: gs-session has instance 0 only`);
		if (g.classes.includes(run.role)) {
			const count = g.lcores(run.role)[1];
			need(Number(inst) < count, `container ${c.name}: -i ${inst}, but [${sectionOf(run.role)}] lcore_count = ${count} gives instances 0..${count - 1}`);
		}
	}
	for (const b of ['primary', 'stats', ...g.classes])
		need([...seen.keys()].some((k) => k.split(' ')[0] === b), `no container runs gs-${b}`);
});

check('-c of every container is gsnet.ini of the mounted ConfigMap, the same file for all', (g) => {
	let first = null;
	for (const c of g.containers) {
		const run = g.runs.get(c.name);
		need(run.config, `container ${c.name}: gs-${run.role} has no -c (it would read the built-in default path)`);
		const f = fileIn(g, c, run.config);
		need(f.content !== undefined, `container ${c.name}: -c ${run.config} is not a ConfigMap's file`);
		first = first || { c, f };
		need(f.content === first.f.content, `containers ${first.c.name} and ${c.name} read different configs`);
	}
});

check('commands and probes run the mounted, executable gsnet-entrypoint', (g) => {
	for (const c of g.containers) {
		const cmds = [c.command || []];
		for (const p of ['startupProbe', 'readinessProbe', 'livenessProbe'])
			if (c[p] && c[p].exec)
				cmds.push(c[p].exec.command || []);
		for (const cmd of cmds) {
			if (!ENTRYPOINT.test(cmd[0] || ''))
				continue;
			const f = fileIn(g, c, cmd[0]);
			need(f.content && f.content.startsWith('#!'), `container ${c.name}: ${cmd[0]} is not a script`);
			need((f.mode & 0o111) === 0o111, `container ${c.name}: ${cmd[0]} is mounted with mode ${f.mode.toString(8)}, not executable`);
		}
		need(ENTRYPOINT.test((c.command || [])[0] || '') && c.command[1] === 'run',
			`container ${c.name}: not started by gsnet-entrypoint run (it adds the VF, the host address and the container's CPUs)`);
	}
});

check('hugepages volume at /dev/hugepages and DPDK runtime volume at /var/run/dpdk in every container', (g) => {
	const huge = [...g.volumes.values()].filter((v) => v.emptyDir && /^HugePages/.test(v.emptyDir.medium || ''));
	need(huge.length === 1, `${huge.length} hugepages volumes: the group needs exactly one (the primary's hugepage files, which every secondary maps)`);
	g.huge = huge[0];
	for (const c of [...g.containers, ...g.initContainers]) {
		const at = (p) => (c.volumeMounts || []).find((m) => m.mountPath.replace(/\/$/, '') === p);
		const h = at('/dev/hugepages');
		need(h && h.name === g.huge.name, `container ${c.name} does not mount the hugepages volume (${g.huge.name}) at /dev/hugepages`);
		const r = at('/var/run/dpdk');
		need(r, `container ${c.name} does not mount the DPDK runtime directory at /var/run/dpdk (secondaries attach through it)`);
		const rv = g.volumes.get(r.name);
		need(rv && rv.emptyDir && !/^HugePages/.test(rv.emptyDir.medium || ''), `container ${c.name}: /var/run/dpdk is not the pod's emptyDir`);
		g.runVolume = g.runVolume || r.name;
		need(r.name === g.runVolume, `containers mount different volumes at /var/run/dpdk (${g.runVolume}, ${r.name})`);
	}
});

check('requests = limits for cpu, memory, hugepages and devices in every container (Guaranteed QoS)', (g) => {
	for (const c of [...g.containers, ...g.initContainers]) {
		const r = c.resources || {};
		const req = r.requests || {};
		const lim = r.limits || {};
		for (const k of ['cpu', 'memory'])
			need(lim[k] !== undefined && req[k] !== undefined,
				`container ${c.name}: no ${k} ${lim[k] === undefined ? 'limit' : 'request'} (the pod would not be Guaranteed: no exclusive cores)`);
		for (const k of new Set([...Object.keys(req), ...Object.keys(lim)]))
			need(lim[k] !== undefined && req[k] !== undefined &&
				quantity(req[k], `${c.name} ${k}`) === quantity(lim[k], `${c.name} ${k}`),
			`container ${c.name}: ${k} request ${req[k]} != limit ${lim[k]}`);
	}
});

check('hugepages: the pod requests its volume\'s page size, enough for [eal] memory_mb', (g) => {
	const size = g.huge.emptyDir.medium.replace(/^HugePages-?/, '');
	need(size === '2Mi' || size === '1Gi', `medium ${g.huge.emptyDir.medium}: use HugePages-2Mi or HugePages-1Gi (the page size must be explicit)`);
	let total = 0;
	for (const c of [...g.containers, ...g.initContainers])
		for (const [k, v] of Object.entries((c.resources || {}).limits || {}))
			if (k.startsWith('hugepages-')) {
				need(k === `hugepages-${size}`, `container ${c.name} asks for ${k}, the hugepages volume has ${size} pages`);
				total += quantity(v, `${c.name} ${k}`);
			}
	need(total > 0, `no container requests hugepages-${size}: the kubelet refuses to mount medium ${g.huge.emptyDir.medium}`);
	const mb = Number(g.ini.get('eal') && g.ini.get('eal').get('memory_mb') || 512);
	const prim = g.containers.find((c) => g.runs.get(c.name).role === 'primary');
	const mine = quantity(((prim.resources || {}).limits || {})[`hugepages-${size}`] || 0, 'primary');
	need(mine >= mb * 2 ** 20, `[eal] memory_mb = ${mb}, but the primary may only allocate ${mine / 2 ** 20} MiB of hugepages`);
});

check('polling processes ([ROLE] idle = poll) get whole, exclusive cores', (g) => {
	for (const c of g.containers) {
		const { role } = g.runs.get(c.name);
		const sec = g.ini.get(sectionOf(role)) || new Map();
		if ((sec.get('idle') || 'backoff') !== 'poll')
			continue;
		const cpu = quantity(((c.resources || {}).limits || {}).cpu, `${c.name} cpu`);
		const lcores = role === 'primary' ? g.lcores('primary')[1] : 1;
		need(Number.isInteger(cpu) && cpu >= lcores,
			`container ${c.name}: [${sectionOf(role)}] idle = poll with a cpu limit of ${cpu}: the static CPU manager gives exclusive cores only for an integer limit, ${lcores} needed`);
	}
});

check('the Multus network is a NetworkAttachmentDefinition here, its VF requested by the primary', (g) => {
	const ann = (g.ds.spec.template.metadata.annotations || {})['k8s.v1.cni.cncf.io/networks'];
	need(typeof ann === 'string' && ann.trim() !== '', 'no k8s.v1.cni.cncf.io/networks annotation on the pod template: no SR-IOV VF');
	let nets;
	try {
		nets = networks(ann);
	} catch (e) {
		fail(`k8s.v1.cni.cncf.io/networks: ${e.message}`);
	}
	for (const n of nets) {
		const ns = n.namespace || g.ds.metadata.namespace;
		const nad = g.byKind('NetworkAttachmentDefinition').find((o) => o.metadata.name === n.name && o.metadata.namespace === ns);
		need(nad, `the pod's k8s.v1.cni.cncf.io/networks names ${ns}/${n.name}: no such NetworkAttachmentDefinition among the manifests`);
		const res = nad.metadata.annotations['k8s.v1.cni.cncf.io/resourceName'];
		const users = g.containers.filter((c) => ((c.resources || {}).limits || {})[res] !== undefined);
		need(users.length === 1 && g.runs.get(users[0].name).role === 'primary',
			`resource ${res} (network ${n.name}) must be requested by the primary's container alone (now: ${users.map((c) => c.name).join(', ') || 'none'})`);
		need(quantity(users[0].resources.limits[res], res) === 1, `the primary requests ${users[0].resources.limits[res]} of ${res}: one VF`);
	}
});

check('server key: gs-session alone mounts it, at [auth] key_file, not readable by other users', (g) => {
	const auth = g.ini.get('auth') || new Map();
	if ((auth.get('mode') || 'token') !== 'token')
		return;
	const keyFile = auth.get('key_file') || '/etc/gsnet/server.key';
	for (const c of g.containers) {
		const { role } = g.runs.get(c.name);
		let f = null;
		try {
			f = fileIn(g, c, keyFile);
		} catch (e) {
			if (!(e instanceof Invalid))
				throw e;
		}
		if (role !== 'session') {
			need(!f, `container ${c.name} (gs-${role}) mounts the server key: only gs-session reads it`);
			continue;
		}
		need(f && f.secret, `container ${c.name}: no Secret at [auth] key_file = ${keyFile}`);
		need(f.secret === 'gsnet-server-key' && f.key === 'server.key', `container ${c.name}: ${keyFile} is ${f.secret}/${f.key}, expected gsnet-server-key/server.key`);
		need((f.mode & 0o077) === 0, `container ${c.name}: the server key is mounted with mode ${f.mode.toString(8)}: group or others may read it (gs-session refuses a key others may read; use 0400 = 256)`);
	}
});

check('terminationGracePeriodSeconds covers the primary\'s handler drain (2 s) and port stop', (g) => {
	const t = g.pod.terminationGracePeriodSeconds;
	need(Number.isInteger(t) && t >= 5 && t <= 60, `terminationGracePeriodSeconds ${t}: between 5 (the primary waits 2 s for its handlers, then stops the port and frees its memory) and 60`);
});

check('probes: own lcore id each, outside every process\'s range, about their own container', (g) => {
	const ranges = ['primary', 'stats', 'ctl', ...g.classes].map((r) => [r, ...g.lcores(r)]);
	const used = new Map();
	for (const c of g.containers) {
		const run = g.runs.get(c.name);
		for (const p of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
			const cmd = c[p] && c[p].exec && c[p].exec.command;
			if (!cmd || !ENTRYPOINT.test(cmd[0]))
				continue;
			let lcore;
			if (cmd[1] === 'probe-primary') {
				need(run.role === 'primary' && cmd.length === 3, `container ${c.name}: ${p} ${cmd.slice(1).join(' ')} does not probe this container`);
				lcore = cmd[2];
			} else if (cmd[1] === 'probe-handler') {
				need(cmd[2] === run.role && cmd[3] === (run.instance || '0') && cmd.length >= 5 && cmd.length <= 6,
					`container ${c.name} (gs-${run.role} -i ${run.instance || 0}): ${p} probes ${cmd.slice(2, 4).join(' instance ')}`);
				lcore = cmd[4];
			} else {
				fail(`container ${c.name}: ${p}: unknown entrypoint command ${cmd[1]}`);
			}
			need(/^[0-9]+$/.test(lcore) && Number(lcore) >= 1 && Number(lcore) < 128, `container ${c.name}: ${p}: lcore id ${lcore} (1..127)`);
			const n = Number(lcore);
			// startup and readiness never run at once (readiness waits for startup)
			const slot = `${c.name}/${p === 'livenessProbe' ? 'live' : 'ready'}`;
			for (const [other, ids] of used)
				need(other === slot || !ids.has(n), `lcore id ${n} is used by two probes that may run at once (${other}, ${slot})`);
			used.set(slot, (used.get(slot) || new Set()).add(n));
			for (const [r, first, count] of ranges)
				need(n < first || n >= first + count, `container ${c.name}: ${p}: lcore id ${n} is in [${sectionOf(r)}]'s range ${first}-${first + count - 1}`);
		}
	}
});

check('Service gsnet-stats: headless, selects these pods, targets gs-stats\' [stats] http_port', (g) => {
	const svc = g.byKind('Service').find((s) => s.metadata.name === 'gsnet-stats');
	need(svc, 'no Service gsnet-stats for /metrics');
	need(svc.spec.clusterIP === 'None', 'Service gsnet-stats is not headless (clusterIP: None): Prometheus must scrape every host, not one behind a virtual IP');
	const labels = g.ds.spec.template.metadata.labels || {};
	for (const [k, v] of Object.entries(svc.spec.selector || {}))
		need(labels[k] === v, `Service gsnet-stats selects ${k}=${v}, which the pods do not have`);
	need(Object.keys(svc.spec.selector || {}).length > 0, 'Service gsnet-stats has no selector');
	const stats = g.containers.find((c) => g.runs.get(c.name).role === 'stats');
	const port = Number((g.ini.get('stats') || new Map()).get('http_port') || 9477);
	const sp = (svc.spec.ports || [])[0] || {};
	const cp = (stats.ports || []).find((p) => p.name === sp.targetPort || p.containerPort === sp.targetPort);
	need(cp, `Service gsnet-stats targets port ${sp.targetPort}, which container ${stats.name} does not declare`);
	need(cp.containerPort === port, `container ${stats.name} declares port ${cp.containerPort}, gs-stats serves [stats] http_port = ${port}`);
	const ann = svc.metadata.annotations || {};
	need(ann['prometheus.io/port'] === undefined || Number(ann['prometheus.io/port']) === port, `prometheus.io/port ${ann['prometheus.io/port']} is not ${port}`);
	// gs-stats listens on 127.0.0.1 unless told the pod's address
	const ip = g.runs.get(stats.name).overrides.find((o) => o.startsWith('stats.http_ip='));
	const env = (stats.env || []).find((e) => ip && ip === `stats.http_ip=$(${e.name})`);
	need(env && env.valueFrom && env.valueFrom.fieldRef && env.valueFrom.fieldRef.fieldPath === 'status.podIP',
		`container ${stats.name}: gs-stats needs -o stats.http_ip=$(POD_IP) with POD_IP from status.podIP, or it serves on 127.0.0.1 only`);
});

check('least privilege: nothing privileged, every capability dropped but IPC_LOCK for the primary', (g) => {
	for (const c of [...g.containers, ...g.initContainers]) {
		const s = c.securityContext || {};
		need(s.privileged !== true, `container ${c.name} is privileged`);
		need(s.allowPrivilegeEscalation === false, `container ${c.name}: allowPrivilegeEscalation is not false`);
		const caps = s.capabilities || {};
		need((caps.drop || []).includes('ALL'), `container ${c.name} does not drop ALL capabilities`);
		const want = g.runs.get(c.name) && g.runs.get(c.name).role === 'primary' ? ['IPC_LOCK'] : [];
		need(JSON.stringify(caps.add || []) === JSON.stringify(want), `container ${c.name} adds capabilities [${(caps.add || []).join(', ')}], expected [${want.join(', ')}]`);
	}
});

check('production config: no virtual device, the VF and host address from the entrypoint', (g) => {
	const eal = g.ini.get('eal') || new Map();
	need(eal.has('vdev0'), '[eal] has no "vdev0 =": the built-in tap interface would be created');
	for (let i = 0; i < 8; i++)
		need((eal.get(`vdev${i}`) || '') === '', `[eal] vdev${i} = ${eal.get(`vdev${i}`)}: production uses the SR-IOV VF only`);
	const prim = g.containers.find((c) => g.runs.get(c.name).role === 'primary');
	const node = (prim.env || []).find((e) => e.name === 'NODE_NAME');
	need(node && node.valueFrom && node.valueFrom.fieldRef && node.valueFrom.fieldRef.fieldPath === 'spec.nodeName',
		`container ${prim.name}: NODE_NAME must come from spec.nodeName (the entrypoint looks the host's address up by it)`);
	const hosts = (prim.volumeMounts || []).find((m) => m.mountPath === '/etc/gsnet-hosts');
	const hv = hosts && g.volumes.get(hosts.name);
	need(hv && hv.configMap && g.byKind('ConfigMap').some((o) => o.metadata.name === hv.configMap.name),
		`container ${prim.name}: no ConfigMap of host addresses at /etc/gsnet-hosts`);
	need(g.ds.spec.template.spec.nodeSelector && g.ds.spec.template.spec.nodeSelector['gsnet.io/game-host'] === 'true',
		'nodeSelector gsnet.io/game-host: "true" missing: pods would land on every node');
});

/* The gsnet group in a set of objects: its DaemonSet, its pod, its containers. */
function group(objects) {
	const all = objects.map((o) => o.obj);
	const byKind = (k) => all.filter((o) => o.kind === k);
	const dss = byKind('DaemonSet').filter((d) => (d.spec.template.spec.containers || [])
		.some((c) => { const r = gsnetArgv(c); return r && r.role === 'primary'; }));
	need(dss.length === 1, `${dss.length} DaemonSets run gs-primary: expected one`);
	const ds = dss[0];
	const pod = ds.spec.template.spec;
	const g = {
		ds, pod, byKind,
		containers: pod.containers || [],
		initContainers: pod.initContainers || [],
		volumes: new Map((pod.volumes || []).map((v) => [v.name, v])),
		runs: new Map(),
	};
	for (const c of [...g.containers, ...g.initContainers])
		g.runs.set(c.name, gsnetArgv(c));
	const prim = g.containers.find((c) => g.runs.get(c.name) && g.runs.get(c.name).role === 'primary');
	need(prim.args && g.runs.get(prim.name).config, 'gs-primary has no -c FILE');
	g.ini = parseIni(fileIn(g, prim, g.runs.get(prim.name).config).content || '');
	// the config's classes ([class.NAME]; none: the built-in three), each run by gs-NAME
	g.classes = [...g.ini.keys()].filter((k) => k.startsWith('class.')).map((k) => k.slice(6));
	if (g.classes.length === 0)
		g.classes = ['session', 'move', 'combat'];
	g.lcores = (role) => {
		const s = g.ini.get(sectionOf(role)) || new Map();
		const [f, n] = LCORE_DEFAULTS[role] || [0, 4]; /* a new class names its lcore_first */
		return [Number(s.get('lcore_first') || f), Number(s.get('lcore_count') || n)];
	};
	return g;
}

/* --- run ------------------------------------------------------------------------------- */

// Validate every object, then the group; returns the lines to print, throws Invalid.
function validate(objects, log) {
	const names = new Set();
	for (const { obj, where } of objects) {
		try {
			checkSchema(obj);
		} catch (e) {
			if (e instanceof Invalid)
				e.message = `${id(obj)} (${where}): ${e.message}`;
			throw e;
		}
		const key = `${obj.kind}/${(obj.metadata || {}).namespace || ''}/${obj.metadata.name}`;
		need(!names.has(key), `${id(obj)} (${where}) is defined twice`);
		names.add(key);
		log(`${id(obj)} OK`);
	}
	const g = group(objects);
	for (const { name, fn } of CHECKS) {
		try {
			fn(g);
		} catch (e) {
			if (e instanceof Invalid)
				e.message = `${id(g.ds)}: ${e.message}`;
			throw e;
		}
		log(`check: ${name} OK`);
	}
}

/* Mistakes each check must catch: every mutation of the real manifests must fail,
 * with a message that names the mistake. */
function selfTest(dir) {
	const base = loadDir(dir);
	const find = (objs, kind, name) => objs.find((o) => o.obj.kind === kind && (!name || o.obj.metadata.name === name)).obj;
	const pod = (objs) => find(objs, 'DaemonSet').spec.template.spec;
	const ctr = (objs, name) => pod(objs).containers.find((c) => c.name === name);
	const cases = [
		['the primary\'s hugepages limit dropped', /hugepages-2Mi request 1Gi != limit undefined/,
			(o) => { delete ctr(o, 'primary').resources.limits['hugepages-2Mi']; }],
		['a field of the wrong type (terminationGracePeriodSeconds: "10")', /terminationGracePeriodSeconds must be integer/,
			(o) => { pod(o).terminationGracePeriodSeconds = '10'; }],
		['an unknown apiVersion (apps/v9)', /no schema for apiVersion apps\/v9/,
			(o) => { find(o, 'DaemonSet').apiVersion = 'apps/v9'; }],
		['an unknown kind (Deamonset)', /no schema for apiVersion apps\/v1, kind Deamonset/,
			(o) => { find(o, 'DaemonSet').kind = 'Deamonset'; }],
		['a misspelt field (shareProcessNamespaces)', /unknown field .*shareProcessNamespaces/,
			(o) => { const p = pod(o); p.shareProcessNamespaces = p.shareProcessNamespace; delete p.shareProcessNamespace; }],
		['a misspelt field deep down (volumeMounts[0].readonly)', /volumeMounts\[0\]\.readonly: unknown field/,
			(o) => { ctr(o, 'move').volumeMounts = clone(ctr(o, 'move').volumeMounts); ctr(o, 'move').volumeMounts[0].readonly = true; }],
		['a resource quantity that is not one (memory: 256MB)', /memory must match format "quantity"|"256MB" is not a quantity/,
			(o) => { ctr(o, 'combat').resources = clone(ctr(o, 'combat').resources); ctr(o, 'combat').resources.limits.memory = '256MB'; }],
		['shareProcessNamespace false', /shareProcessNamespace is not true/,
			(o) => { pod(o).shareProcessNamespace = false; }],
		['RollingUpdate instead of OnDelete', /updateStrategy is RollingUpdate/,
			(o) => { find(o, 'DaemonSet').spec.updateStrategy = { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } }; }],
		['a container without /var/run/dpdk', /container combat does not mount the DPDK runtime directory/,
			(o) => { const c = ctr(o, 'combat'); c.volumeMounts = c.volumeMounts.filter((m) => m.mountPath !== '/var/run/dpdk'); }],
		['a container without /dev/hugepages', /container stats does not mount the hugepages volume/,
			(o) => { const c = ctr(o, 'stats'); c.volumeMounts = c.volumeMounts.filter((m) => m.mountPath !== '/dev/hugepages'); }],
		['a cpu request below its limit', /container move: cpu request 500m != limit 1/,
			(o) => { const c = ctr(o, 'move'); c.resources = clone(c.resources); c.resources.requests.cpu = '500m'; }],
		['a polling handler on a fractional cpu', /idle = poll with a cpu limit of 0.5/,
			(o) => { const c = ctr(o, 'session'); c.resources = { requests: { cpu: '500m', memory: '256Mi' }, limits: { cpu: '500m', memory: '256Mi' } }; }],
		['the Multus annotation naming a missing NetworkAttachmentDefinition', /names gsnet\/gsnet-sriov-typo: no such NetworkAttachmentDefinition/,
			(o) => { find(o, 'DaemonSet').spec.template.metadata.annotations['k8s.v1.cni.cncf.io/networks'] = 'gsnet-sriov-typo'; }],
		['the VF requested by a handler instead of the primary', /must be requested by the primary's container alone/,
			(o) => { const c = ctr(o, 'move'); c.resources = clone(c.resources); c.resources.requests['intel.com/intel_sriov_dpdk'] = '1'; c.resources.limits['intel.com/intel_sriov_dpdk'] = '1'; }],
		['-c not the ConfigMap\'s mount path', /-c \/etc\/gsnet.ini|where \/etc\/gsnet.ini is/,
			(o) => { const c = ctr(o, 'combat'); c.args = c.args.map((a) => (a === '/etc/gsnet/gsnet.ini' ? '/etc/gsnet.ini' : a)); }],
		['gs-move twice with the same instance', /gs-move -i 0 runs twice/,
			(o) => { const c = clone(ctr(o, 'move')); c.name = 'move-1'; pod(o).containers.push(c); }],
		['gs-combat missing', /no container runs gs-combat/,
			(o) => { pod(o).containers = pod(o).containers.filter((c) => c.name !== 'combat'); }],
		['a NetworkAttachmentDefinition whose config is not JSON', /spec.config is not JSON/,
			(o) => { find(o, 'NetworkAttachmentDefinition').spec.config = '{ "type": "sriov", '; }],
		['a NetworkAttachmentDefinition with VLAN 5000', /spec.config\/vlan must be <= 4094/,
			(o) => { const n = find(o, 'NetworkAttachmentDefinition'); const cfg = JSON.parse(n.spec.config); cfg.vlan = 5000; n.spec.config = JSON.stringify(cfg); }],
		['a NetworkAttachmentDefinition with a misspelt CNI key (spoofcheck)', /must NOT have additional properties/,
			(o) => { const n = find(o, 'NetworkAttachmentDefinition'); const cfg = JSON.parse(n.spec.config); cfg.spoofcheck = 'on'; n.spec.config = JSON.stringify(cfg); }],
		['the server key readable by others (mode 0644)', /server key is mounted with mode 644/,
			(o) => { pod(o).volumes.find((v) => v.name === 'session-etc').projected.sources.find((s) => s.secret).secret.items[0].mode = 0o644; }],
		['the server key mounted in the move container', /container move \(gs-move\) mounts the server key/,
			(o) => { const c = ctr(o, 'move'); c.volumeMounts = c.volumeMounts.map((m) => (m.mountPath === '/etc/gsnet' ? { ...m, name: 'session-etc' } : m)); }],
		['two probes sharing an lcore id', /lcore id 72 is used by two probes/,
			(o) => { ctr(o, 'combat').readinessProbe.exec.command[4] = '72'; }],
		['a probe lcore id inside a process\'s lcore range', /lcore id 21 is in \[class\.move\]'s range/,
			(o) => { ctr(o, 'move').livenessProbe.exec.command[4] = '21'; }],
		['a privileged container', /container stats is privileged/,
			(o) => { const c = ctr(o, 'stats'); c.securityContext = { ...c.securityContext, privileged: true }; }],
		['an extra capability (NET_ADMIN) for a handler', /container session adds capabilities \[NET_ADMIN\]/,
			(o) => { const c = ctr(o, 'session'); c.securityContext = clone(c.securityContext); c.securityContext.capabilities.add = ['NET_ADMIN']; }],
		['gs-stats left on 127.0.0.1', /gs-stats needs -o stats.http_ip/,
			(o) => { const c = ctr(o, 'stats'); c.args = ['gs-stats', '-c', '/etc/gsnet/gsnet.ini']; }],
		['a tap interface left in the config', /vdev0 = net_tap0/,
			(o) => { const cm = find(o, 'ConfigMap', 'gsnet-config'); cm.data['gsnet.ini'] = cm.data['gsnet.ini'].replace(/^vdev0 =.*$/m, 'vdev0 = net_tap0,iface=gs0'); }],
		['[eal] memory_mb above the primary\'s hugepages', /memory_mb = 4096/,
			(o) => { const cm = find(o, 'ConfigMap', 'gsnet-config'); cm.data['gsnet.ini'] = cm.data['gsnet.ini'].replace(/^memory_mb = .*$/m, 'memory_mb = 4096'); }],
		['a grace period shorter than the primary\'s drain', /terminationGracePeriodSeconds 2/,
			(o) => { pod(o).terminationGracePeriodSeconds = 2; }],
	];
	let ok = 0;
	// the unchanged manifests pass: each failure below is the mutation's
	validate(clone(base), () => {});
	console.log('self-test: the manifests as they are: pass');
	for (const [what, expect, mutate] of cases) {
		const objs = clone(base);
		mutate(objs);
		let err = null;
		try {
			validate(objs, () => {});
		} catch (e) {
			if (!(e instanceof Invalid))
				throw e;
			err = e;
		}
		if (err && expect.test(err.message)) {
			console.log(`self-test: ${what}: refused (${err.message})`);
			ok++;
		} else {
			console.error(`self-test: ${what}: ${err ? `refused for another reason: ${err.message}` : 'NOT refused'}`);
		}
	}
	console.log(`self-test: ${ok} of ${cases.length} mistakes refused`);
	return ok === cases.length;
}

function main(argv) {
	if (argv.length !== 1 || argv[0] === '-h' || argv[0] === '--help') {
		console.error('usage: node validate.js DIR | FILE | - | --self-test');
		return 2;
	}
	try {
		if (argv[0] === '--self-test')
			return selfTest(path.join(__dirname, '..', '..', 'deploy', 'k8s')) ? 0 : 1;
		validate(loadInput(argv[0]), (line) => console.log(line));
		return 0;
	} catch (e) {
		if (!(e instanceof Invalid))
			throw e;
		console.error(`INVALID: ${e.message}`);
		return 1;
	}
}

process.exitCode = main(process.argv.slice(2));
