// Markers, converters and canonicalization: platform echoes of what we sent compare equal to desired.
import { describe, expect, it } from 'vitest';
import { canonicalRule, canonicalize, normalizeHtml, normalizeInstant } from '../../src/plan/canonicalize.js';
import { compileDesired } from '../../src/plan/compile.js';
import { diffResources } from '../../src/plan/diff.js';
import { formatMarker, parseMarker, parseThirdPartyId, stripHtmlMarker, stripMarker, withHtmlMarker, withMarker } from '../../src/plan/marker.js';
import {
  fromTargetActivity,
  fromTargetAudience,
  fromTargetOffer,
  keyIndex,
  toTargetActivityBody,
  toTargetAudienceBody,
  toTargetOfferBody,
  UnresolvedReferenceError,
} from '../../src/providers/adobe-target/convert.js';
import { fromCioSegment, toCioSegmentBody } from '../../src/providers/customerio/convert.js';
import { rootConfig } from './builders.js';

const desired = compileDesired(rootConfig());
const get = (address: string) => desired.find((r) => r.address === address)!;

describe('markers', () => {
  it('round-trip through descriptions, offer content and thirdPartyId', () => {
    expect(formatMarker('acme-d2c', 'vip')).toBe('[audiences:acme-d2c:vip]');
    const d = withMarker('Our VIPs', 'acme-d2c', 'homepage_hero/vip');
    expect(d).toBe('Our VIPs\n[audiences:acme-d2c:homepage_hero/vip]');
    expect(parseMarker(d)).toEqual({ workspace: 'acme-d2c', key: 'homepage_hero/vip' });
    expect(stripMarker(d)).toBe('Our VIPs');
    expect(withMarker(undefined, 'w', 'k')).toBe('[audiences:w:k]');
    // A UI edit that appends text after the marker keeps ownership; the last marker wins.
    expect(parseMarker('[audiences:w:old] moved [audiences:w:new] (edited)')).toEqual({ workspace: 'w', key: 'new' });
    expect(parseMarker('no marker')).toBeUndefined();
    const html = withHtmlMarker('<div>x</div>', 'w', 'o');
    expect(html).toBe('<div>x</div>\n<!-- [audiences:w:o] -->');
    expect(stripHtmlMarker(html)).toBe('<div>x</div>');
    expect(parseThirdPartyId('acme-d2c/homepage_hero')).toEqual({ workspace: 'acme-d2c', key: 'homepage_hero' });
    expect(parseThirdPartyId('legacy-id')).toBeUndefined();
  });
});

describe('canonicalization makes platform echoes equal to desired', () => {
  it('audiences: ids, timestamps, reordered values, numbers, extra fields', () => {
    const r = get('adobe_target.audience.replenishment_due');
    const body = toTargetAudienceBody(r, 'acme-d2c', '1234567');
    const echo = fromTargetAudience(
      {
        ...body,
        id: 77,
        origin: 'target',
        status: 'saved',
        type: 'reusable',
        modifiedAt: '2026-12-04T10:00:00Z',
        createdAt: '2026-12-04T10:00:00Z',
        targetRule: {
          and: [
            { equals: [true as unknown as string], profile: 'seg_replenishment_due' },
            { profile: 'trait_last_category', equals: ['skincare', 'coffee', 'coffee'] },
          ],
        },
      },
      'acme-d2c',
    )!;
    expect(echo.key).toBe('replenishment_due');
    expect(echo.owned).toBe(true);
    expect(echo.id).toBe(77);
    expect(echo.attrs).toEqual(r.attrs);
  });

  it('offers: CRLF and trailing spaces in HTML, marker comment', () => {
    const r = get('adobe_target.offer.cart_resume');
    const body = toTargetOfferBody(r, 'acme-d2c');
    const echo = fromTargetOffer({ ...body, content: `  ${body.content!.replace(/\n/g, '   \r\n')}\r\n`, id: 5, modifiedAt: 'x' }, 'acme-d2c')!;
    expect(echo.attrs).toEqual(r.attrs);
    expect(fromTargetOffer({ id: 6, name: 'json', type: 'json' }, 'acme-d2c')).toBeUndefined();
  });

  it('activities: ids resolved to keys, priority as a string, reordered experiences, date forms', () => {
    const r = get('adobe_target.activity.homepage_hero');
    const withSchedule = { ...r, attrs: { ...r.attrs, startsAt: '2026-12-01T00:00:00Z', endsAt: '2027-01-01T00:00:00Z' } };
    const ids = new Map<string, number>();
    let next = 100;
    const idOf = (k: string) => {
      if (!ids.has(k)) ids.set(k, next++);
      return ids.get(k);
    };
    const body = toTargetActivityBody(withSchedule, 'acme-d2c', { audienceId: (k) => idOf(`a:${k}`), offerId: (k) => idOf(`o:${k}`) });
    expect(body.thirdPartyId).toBe('acme-d2c/homepage_hero');
    expect(body.locations).toEqual({ mboxes: [{ locationLocalId: 0, name: 'homepage-hero' }] });
    expect(body.experiences![0]).toEqual({
      experienceLocalId: 0,
      name: 'Cart Abandoners (4h)',
      audienceIds: [ids.get('a:homepage_hero/cart_abandoners')],
      optionLocations: [{ locationLocalId: 0, optionLocalId: 0 }],
    });
    expect(body.metrics![0].metricLocalId).toBe(32767);

    const index = { audienceKeyById: new Map<string, string>(), offerKeyById: new Map<string, string>() };
    for (const [k, id] of ids) (k.startsWith('a:') ? index.audienceKeyById : index.offerKeyById).set(String(id), k.slice(2));
    const echo = fromTargetActivity(
      {
        ...body,
        id: 9,
        type: 'xt',
        priority: '999' as unknown as number,
        startsAt: '2026-12-01',
        endsAt: '2027-01-01T00:00:00.000+00:00',
        experiences: [...body.experiences!].reverse(),
        workspace: '1234567',
        propertyIds: [3],
        modifiedAt: 'later',
      },
      'acme-d2c',
      index,
    )!;
    expect(echo.attrs).toEqual(canonicalize(withSchedule).attrs);
    expect(echo.refs).toContain('adobe_target.audience.homepage_hero/vip');
    expect(() => toTargetActivityBody(r, 'acme-d2c', { audienceId: () => undefined, offerId: () => 1 })).toThrow(UnresolvedReferenceError);
  });

  it('activities referencing objects we do not own compare as #<id>', () => {
    const r = fromTargetActivity(
      {
        id: 1,
        thirdPartyId: 'acme-d2c/x',
        type: 'xt',
        state: 'approved',
        options: [{ optionLocalId: 0, offerId: 55 }],
        locations: { mboxes: [{ locationLocalId: 0, name: 'm' }] },
        experiences: [{ experienceLocalId: 0, name: 'e', audienceIds: [44], optionLocations: [{ locationLocalId: 0, optionLocalId: 0 }] }],
      },
      'acme-d2c',
      keyIndex([]),
    )!;
    expect(r.attrs.experiences).toEqual([{ audience: '#44', name: 'e', offer: '#55' }]);
    expect(fromTargetActivity({ id: 2, state: 'deleted', type: 'xt' }, 'acme-d2c', keyIndex([]))).toBeUndefined();
    expect(fromTargetActivity({ id: 3, type: 'abt' }, 'acme-d2c', keyIndex([]))).toBeUndefined();
  });

  it('Customer.io segments: marker, server fields, another workspace is not ours', () => {
    const seg = { platform: 'customerio' as const, kind: 'segment' as const, key: 'vip_list', address: 'customerio.segment.vip_list', attrs: { name: 'VIP list', description: 'hand picked', type: 'manual' }, managed: true, owned: true, meta: {} };
    const body = toCioSegmentBody(seg, 'acme-d2c');
    expect(body).toEqual({ segment: { name: 'VIP list', description: 'hand picked\n[audiences:acme-d2c:vip_list]' } });
    const echo = fromCioSegment({ id: 7, deduplicate_id: '7:1', ...body.segment, state: 'events', progress: null, type: 'manual', tags: null, created_at: 1, updated_at: 1 }, 'acme-d2c', 12);
    expect(echo.attrs).toEqual(canonicalize(seg).attrs);
    expect(echo.meta.size).toBe(12);
    const foreign = fromCioSegment({ id: 8, ...body.segment, type: 'manual' }, 'staging');
    expect(foreign).toMatchObject({ key: '#8', owned: false, managed: false, meta: { owner: 'acme-d2c' } });
    const dynamic = fromCioSegment({ id: 104, name: 'High LTV VIP', description: 'x', type: 'dynamic' }, 'acme-d2c');
    expect(diffResources([get('customerio.segment.vip_high_ltv')], [dynamic]).changes).toEqual([]);
  });
});

describe('canonical helpers', () => {
  it('normalizes instants to UTC seconds whatever the form', () => {
    expect(normalizeInstant('2026-12-01')).toBe('2026-12-01T00:00:00Z');
    expect(normalizeInstant('2026-12-01T08')).toBe('2026-12-01T08:00:00Z');
    expect(normalizeInstant('2026-12-01T08:00')).toBe('2026-12-01T08:00:00Z');
    expect(normalizeInstant('2026-12-01T09:00:00.000+01:00')).toBe('2026-12-01T08:00:00Z');
    expect(normalizeInstant(null)).toBeNull();
    expect(normalizeInstant('')).toBeNull();
  });
  it('sorts rule values but keeps node order', () => {
    expect(canonicalRule({ and: [{ profile: 'b', equals: ['2', 1] }, { not: { equals: ['x'], profile: 'a' } }] })).toEqual({
      and: [{ equals: ['1', '2'], profile: 'b' }, { not: { equals: ['x'], profile: 'a' } }],
    });
  });
  it('reads a one-element `not` list like the object', () => {
    expect(canonicalRule({ not: [{ profile: 'a', equals: ['x'] }] })).toEqual(canonicalRule({ not: { profile: 'a', equals: ['x'] } }));
  });
  it('normalizes HTML line ends and edges only', () => {
    expect(normalizeHtml('\r\n <p>a  b</p>  \r\n<p>c</p>\n')).toBe('<p>a  b</p>\n<p>c</p>');
  });
});
