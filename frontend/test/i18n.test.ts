import { describe, it, expect } from 'vitest';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { STRINGS, translate, initialLang } from '../src/i18n';
import { LAYER_DEFS } from '../src/style';

const src = join(__dirname, '..', 'src');
function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? files(join(dir, f)) : f.endsWith('.ts') ? [join(dir, f)] : []));
}

describe('i18n table', () => {
  it('has every key in both languages, non-empty, with the same placeholders', () => {
    for (const [k, v] of Object.entries(STRINGS)) {
      expect(v.zh, `${k} zh`).toBeTypeOf('string');
      expect(v.en, `${k} en`).toBeTypeOf('string');
      if (k !== 'ind.unit.count') { // Chinese counts take 个, English none
        expect(v.zh.trim(), `${k} zh`).not.toBe('');
        expect(v.en.trim(), `${k} en`).not.toBe('');
      }
      const ph = (s: string) => (s.match(/\{\w+\}/g) ?? []).sort().join();
      expect(ph(v.en), `${k} placeholders`).toBe(ph(v.zh));
    }
  });

  it('defines every key the sources use', () => {
    const used = new Set<string>();
    for (const f of files(src)) {
      const text = readFileSync(f, 'utf8');
      for (const m of text.matchAll(/data-i18n(?:-[a-z-]+)?'\s*:\s*'([\w.]+)'/g)) used.add(m[1]);
      for (const m of text.matchAll(/\bt\('([\w.]+)'/g)) used.add(m[1]);
    }
    expect(used.size).toBeGreaterThan(40);
    const missing = [...used].filter((k) => !STRINGS[k]);
    expect(missing).toEqual([]);
  });

  it('names every layer and every facility category of the Go registry', () => {
    for (const d of LAYER_DEFS) expect(STRINGS[`layer.${d.id}`], d.id).toBeDefined();
    // The categories as internal/layers' registry lists them: an independent source.
    const go = readFileSync(join(__dirname, '..', '..', 'internal', 'layers', 'registry.go'), 'utf8');
    const block = /func FacilityCategories\(\)[\s\S]*?\{([\s\S]*?)\}/.exec(go)![1];
    const cats = [...block.matchAll(/"([a-z_]+)"/g)].map((m) => m[1]);
    expect(cats.length).toBeGreaterThanOrEqual(20);
    for (const c of cats) expect(STRINGS[`cat.${c}`], c).toBeDefined();
    const layersInGo = [...go.matchAll(/\{ID: "([a-z_]+)"/g)].map((m) => m[1]);
    for (const l of layersInGo) expect(LAYER_DEFS.some((d) => d.id === l), l).toBe(true);
  });

  it('fills placeholders and falls back to the key', () => {
    expect(translate('zh', 'ind.ofTarget', { target: 40 })).toBe('目标 40 个');
    expect(translate('en', 'ind.ofTarget', { target: 30 })).toBe('target 30');
    expect(translate('en', 'no.such.key')).toBe('no.such.key');
  });

  it('starts in Chinese unless asked otherwise', () => {
    expect(initialLang('', null)).toBe('zh');
    expect(initialLang('?lang=en', null)).toBe('en');
    expect(initialLang('', 'en')).toBe('en');
    expect(initialLang('?lang=zh', 'en')).toBe('zh');
    expect(initialLang('?lang=fr', 'xx')).toBe('zh');
  });
});
