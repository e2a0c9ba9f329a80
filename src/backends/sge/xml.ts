/**
 * A small, tolerant XML reader for Grid Engine's `qstat -xml` and `qstat -j ID -xml` output:
 * elements, attributes and text; no namespaces, DTDs or CDATA (qstat writes none). Malformed
 * input never throws: an unmatched closing tag is ignored, unclosed elements are closed at the
 * end, so a truncated document still yields what it holds.
 *
 * @module
 */

/** One XML element. */
export interface XmlElement {
  /** Tag name, e.g. `job_list`. */
  readonly name: string;
  /** Attributes, entity-decoded. */
  readonly attributes: Readonly<Record<string, string>>;
  /** Child elements, in document order. */
  readonly children: readonly XmlElement[];
  /** The element's own text (not its children's), entity-decoded, not trimmed. */
  readonly text: string;
}

interface MutableElement {
  name: string;
  attributes: Record<string, string>;
  children: MutableElement[];
  text: string;
}

const NAMED: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/**
 * Decodes XML entities: the five named ones and numeric `&#N;` / `&#xN;`. Anything else that
 * looks like an entity is left as written. (SGE 8.1.9 writes `<` in a job name as `%lt;`, not
 * `&lt;`: that is left as it is, since a name may hold `%lt;` itself.)
 */
export function decodeXmlEntities(s: string): string {
  if (!s.includes('&')) return s;
  return s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);/g, (m, body: string) => {
    if (body.startsWith('#')) {
      const code = body[1] === 'x' || body[1] === 'X' ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
      return Number.isInteger(code) && code >= 0 && code <= 0x10ffff ? String.fromCodePoint(code) : m;
    }
    return NAMED[body] ?? m;
  });
}

/**
 * Parses `xml` into a root element named `#document` whose children are the top-level
 * elements. Never throws.
 */
export function parseXml(xml: string): XmlElement {
  const root: MutableElement = { name: '#document', attributes: {}, children: [], text: '' };
  const stack: MutableElement[] = [root];
  const re = /<!--[\s\S]*?-->|<\?[\s\S]*?\?>|<![^>]*>|<\/\s*([^\s>]+)\s*>|<([^\s/>!?]+)((?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>|([^<]+)|</g;
  for (const m of xml.matchAll(re)) {
    const top = stack[stack.length - 1]!;
    if (m[1] !== undefined) {
      // Closing tag: pop to the matching open element, if there is one.
      const at = findOpen(stack, m[1]);
      if (at > 0) stack.length = at;
    } else if (m[2] !== undefined) {
      const el: MutableElement = { name: m[2], attributes: parseAttributes(m[3] ?? ''), children: [], text: '' };
      top.children.push(el);
      if (m[4] !== '/') stack.push(el);
    } else if (m[5] !== undefined) {
      top.text += decodeXmlEntities(m[5]);
    }
    // Comments, processing instructions, declarations and stray '<' are skipped.
  }
  return root;
}

function findOpen(stack: readonly MutableElement[], name: string): number {
  for (let i = stack.length - 1; i > 0; i--) if (stack[i]!.name === name) return i;
  return -1;
}

function parseAttributes(s: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of s.matchAll(/([^\s=/>]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) out[m[1]!] = decodeXmlEntities(m[2] ?? m[3] ?? '');
  return out;
}

/** All descendants of `el` named `name` (depth first, document order); not inside one another's match. */
export function findAll(el: XmlElement, name: string): XmlElement[] {
  const out: XmlElement[] = [];
  const walk = (e: XmlElement): void => {
    for (const c of e.children) {
      if (c.name === name) out.push(c);
      else walk(c);
    }
  };
  walk(el);
  return out;
}

/** The trimmed text of the first child of `el` named `name`, or `undefined` if there is none. */
export function childText(el: XmlElement, name: string): string | undefined {
  for (const c of el.children) if (c.name === name) return c.text.trim();
  return undefined;
}
