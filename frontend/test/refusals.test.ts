import { describe, it, expect } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { constraintMessage, refusalMessage } from '../src/refusals';
import { translate } from '../src/i18n';

// The constraint names the server can return, read from the migrations themselves (not from
// the page's table): named CHECK/UNIQUE constraints, names raised by triggers
// (RAISE … CONSTRAINT = '…'), and the per-table constraints of every feature table
// (cityreach_feature_table('<table>', …) adds <table>_geom_not_empty, …; migration 0016's
// trigger raises <table>_geom_in_city_extent).
const dir = join(__dirname, '..', '..', 'migrations');
const sql = readdirSync(dir).filter((f) => f.endsWith('.up.sql')).map((f) => readFileSync(join(dir, f), 'utf8')).join('\n');
const named = [...sql.matchAll(/\bCONSTRAINT\s+([a-z][a-z0-9_]*)\s+(?:CHECK|UNIQUE|FOREIGN|PRIMARY|EXCLUDE)\b/g)].map((m) => m[1]);
const raised = [...sql.matchAll(/\bCONSTRAINT\s*=\s*'([a-z][a-z0-9_]*)'/g)].map((m) => m[1]);
const tables = [...sql.matchAll(/cityreach_feature_table\('([a-z_]+)'/g)].map((m) => m[1]);
const suffixes = [...sql.matchAll(/p_table \|\| '(_[a-z_]+)'/g)].map((m) => m[1]).filter((s) => !/_(gix|idx)$/.test(s));
const perTable = tables.flatMap((t) => suffixes.map((s) => t + s));
const all = [...new Set([...named, ...raised, ...perTable])].sort();

const han = /[\u4e00-\u9fff]/;

describe('refusals in the page\'s language', () => {
  it('reads every constraint name of the migrations', () => {
    // What the migrations hold as of 0020: 80 named, 6 raised, 12 feature tables × 4.
    expect(named.length).toBeGreaterThanOrEqual(80);
    expect(raised).toEqual(expect.arrayContaining(['feature_city_exists', 'facilities_category_source', 'feature_history_append_only']));
    expect(tables).toEqual(expect.arrayContaining(['parks', 'facilities', 'residential_land', 'network_edges']));
    expect(suffixes.sort()).toEqual(['_geom_in_city_extent', '_geom_in_range', '_geom_not_empty', '_geom_valid']);
    expect(all).toContain('parks_pocket_is_garden');
    expect(all).toContain('parks_geom_in_city_extent');
  });

  it('has a Chinese and an English message for every one', () => {
    const missing = all.filter((n) => constraintMessage(n, 'zh') === null || constraintMessage(n, 'en') === null);
    expect(missing).toEqual([]);
    for (const n of all) {
      expect(constraintMessage(n, 'zh'), n).toMatch(han);
      expect(constraintMessage(n, 'en'), n).not.toMatch(han);
    }
  });

  // The problem documents as the server sends them for a refused draw (internal/featurewrite,
  // internal/scenario: detail, and the member naming the culprit).
  const layer = (t: string) => translate('zh', `layer.${t}`);
  it('words a refused draw in Chinese on a Chinese page', () => {
    const pocket = refusalMessage({ status: 422, detail: 'the feature violates the rule parks_pocket_is_garden', constraint: 'parks_pocket_is_garden' }, 'zh', layer);
    expect(pocket.source).toBe('constraint');
    expect(pocket.text).toMatch(/游园/);
    expect(pocket.text).not.toMatch(/[A-Za-z]{3,}/);
    const bowtie = refusalMessage({ status: 422, detail: 'invalid geometry: Self-intersection', reason: 'Self-intersection', pointer: '/feature/geometry', location: [109.8, 40.6] }, 'zh');
    expect(bowtie.source).toBe('reason');
    expect(bowtie.text).toMatch(/^图形自相交/);
    expect(bowtie.text).toContain('109.8, 40.6');
    const far = refusalMessage({ status: 422, constraint: 'parks_geom_in_city_extent',
      detail: 'the geometry lies outside the extent of city baotou (the bounding box of its boundary widened by 50 km): it reaches 112.100000, 40.600000' }, 'zh', layer);
    expect(far.text).toBe('公园绿地位于本市范围（边界外扩 50 km）以外（最远处 112.100000, 40.600000）');
    const required = refusalMessage({ status: 422, detail: 'attribute name is required', attribute: 'name', pointer: '/feature/properties' }, 'zh', layer, (a) => translate('zh', `attr.${a}`));
    expect(required).toEqual({ text: '缺少必填属性“名称”', source: 'attribute' });
    // The same refusals on an English page.
    expect(refusalMessage({ status: 422, constraint: 'parks_pocket_is_garden', detail: 'x' }, 'en').text).toMatch(/^Only a garden/);
  });

  it('falls back to the server\'s detail, and says so, for what it does not know', () => {
    const r = refusalMessage({ status: 422, detail: 'the feature violates the rule parks_new_rule', constraint: 'parks_new_rule' }, 'zh');
    expect(r.source).toBe('server');
    expect(r.text).toBe('违反数据规则 parks_new_rule; 服务器说明（未翻译）：the feature violates the rule parks_new_rule');
    const g = refusalMessage({ status: 422, detail: 'invalid geometry: Something new', reason: 'Something new' }, 'zh');
    expect(g).toEqual({ text: '图形无效; 服务器说明（未翻译）：invalid geometry: Something new', source: 'server' });
    // A fault kind alone: its words, with the detail marked as the server's.
    const k = refusalMessage({ status: 403, detail: 'only the owner or an admin may change this scenario' }, 'zh');
    expect(k.source).toBe('kind');
    expect(k.text).toMatch(/^该令牌无权执行此操作.*服务器说明（未翻译）：only the owner/);
    expect(refusalMessage({ status: 418, detail: 'teapot' }, 'en')).toEqual({ text: 'the server says: teapot', source: 'server' });
  });
});
