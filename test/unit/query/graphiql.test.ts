import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Warehouse } from '../../../common/warehouse/warehouse.js';
import { createQueryApi } from '../../../query/index.js';

/** The page is served without reading the warehouse: any read fails the test. */
const noWarehouse: Warehouse = {
  dictionarySource: () => '',
  query: () => Promise.reject(new Error('GraphiQL read the warehouse')),
  exec: () => Promise.reject(new Error('GraphiQL wrote')),
  insertProtobuf: () => Promise.reject(new Error('GraphiQL wrote')),
  insertRows: () => Promise.reject(new Error('GraphiQL wrote')),
  close: async () => undefined,
};

const origin = 'http://fabricscope.test:8081';

/** The markup outside <script> and <style> bodies, and those bodies. */
function split(html: string): { markup: string; bodies: string[] } {
  const bodies: string[] = [];
  const markup = html.replace(/<(script|style)\b([^>]*)>([\s\S]*?)<\/\1>/gi, (_all, tag, attrs, body) => {
    bodies.push(body as string);
    return `<${tag}${attrs}></${tag}>`;
  });
  return { markup, bodies };
}

/** What a browser would fetch from another host: a tag's src or href, a CSS url() or @import, a file URL in a script. */
function externalLoads(html: string): string[] {
  const { markup, bodies } = split(html);
  const attributes = [...markup.matchAll(/\s(?:src|href)\s*=\s*["']?([^"'\s>]+)/gi)].map((m) => m[1]!);
  const css = bodies.flatMap((b) =>
    [...b.matchAll(/(?:url\(|@import\s+)["']?([^"')\s;]+)/gi)].map((m) => m[1]!),
  );
  // An absolute URL of a file (script, style, worker, font, image) in a script: a worker or a module it loads.
  const files = bodies.flatMap((b) =>
    [...b.matchAll(/https?:\/\/[^\s"'`<>()]+?\.(?:m?js|css|ico|png|svg|woff2?|ttf|wasm)\b/gi)].map(
      (m) => m[0],
    ),
  );
  const urls = new Set([...attributes, ...css, ...files]);
  return [...urls].filter((url) => /^(https?:)?\/\//i.test(url) && new URL(url, origin).origin !== origin);
}

describe('GraphiQL', () => {
  it('is served whole from the pipeline: no script, style, worker or icon from another host', async () => {
    const api = createQueryApi(noWarehouse);
    const response = await api.fetch(`${origin}/graphql`, { headers: { accept: 'text/html' } });
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /text\/html/);
    const html = await response.text();
    assert.match(html, /renderYogaGraphiQL/, 'the page renders GraphiQL');
    assert.match(html, /<title>fabricscope<\/title>/);
    assert.deepEqual(externalLoads(html), []);
  });

  it('finds what a page loads from a CDN (the check can fail)', () => {
    const cdn = `<html><head><link rel=icon href=https://raw.example.com/favicon.ico>
      <link rel=stylesheet href="https://unpkg.com/x/graphiql.css"><style>@import "https://fonts.example/f.css";</style>
      </head><body><script>const w = { json: "https://unpkg.com/x/json.worker.bundle.js" };</script>
      <script src=https://unpkg.com/x/yoga-graphiql.umd.js></script><script src="/local.js"></script>
      <img src="data:image/png;base64,AAAA"><a href="${origin}/graphql">here</a></body></html>`;
    assert.deepEqual(externalLoads(cdn), [
      'https://raw.example.com/favicon.ico',
      'https://unpkg.com/x/graphiql.css',
      'https://unpkg.com/x/yoga-graphiql.umd.js',
      'https://fonts.example/f.css',
      'https://unpkg.com/x/json.worker.bundle.js',
    ]);
  });
});
