// Small builders for normalized Configs (the loader is tested elsewhere), plus the root program.
import type {
  ActivityDef,
  AudienceDef,
  Condition,
  Config,
  ExperienceDef,
  OfferDef,
  SegmentDef,
} from '../../src/config/types.js';

export function segment(key: string, over: Partial<SegmentDef> = {}): SegmentDef {
  return { key, name: `Segment ${key}`, type: 'data_driven', previous_keys: [], ...over };
}

export function manualSegment(key: string, over: Partial<SegmentDef> = {}): SegmentDef {
  return { key, name: `Manual ${key}`, type: 'manual', previous_keys: [], ...over };
}

export function audience(key: string, seg: string, over: Partial<AudienceDef> = {}): AudienceDef {
  return { key, name: `Audience ${key}`, segment: seg, where: [], previous_keys: [], ...over };
}

export function where(field: string, op: Condition['op'], value: Condition['value']): Condition {
  return { field, op, value };
}

export function offer(key: string, over: Partial<OfferDef> = {}): OfferDef {
  return { key, name: `Offer ${key}`, content: `<div class="${key}">${key}</div>`, previous_keys: [], ...over };
}

export function exp(aud: string | undefined, off: string, over: Partial<ExperienceDef> = {}): ExperienceDef {
  return { audience: aud, offer: off, name: over.name ?? (aud ? `Audience ${aud}` : 'Everyone else'), ...over };
}

export function activity(key: string, over: Partial<ActivityDef> & Pick<ActivityDef, 'experiences'>): ActivityDef {
  return {
    key,
    name: `Activity ${key}`,
    type: 'xt',
    location: `${key}-mbox`,
    priority: 'auto',
    state: 'approved',
    incentive: { owner: 'none', discount_pct: 0 },
    previous_keys: [],
    ...over,
  };
}

function byKey<T extends { key: string }>(items: T[]): Record<string, T> {
  return Object.fromEntries(items.map((i) => [i.key, i]));
}

export interface ConfigParts {
  workspace?: string;
  segments?: SegmentDef[];
  audiences?: AudienceDef[];
  precedence?: string[];
  holdouts?: Config['holdouts'];
  cooldowns?: Config['cooldowns'];
  offers?: OfferDef[];
  activities?: ActivityDef[];
  moved?: Config['moved'];
  providers?: Config['providers'];
}

export function config(parts: ConfigParts = {}): Config {
  return {
    version: 1,
    workspace: parts.workspace ?? 'acme-d2c',
    source: { file: '/virtual/audiences.yaml', dir: '/virtual' },
    providers: parts.providers ?? {
      customerio: {
        region: 'us',
        app_url: 'https://api.customer.io',
        track_url: 'https://track.customer.io',
        rate_limit: 10,
      },
      adobe_target: {
        tenant: 'acme',
        client_code: 'acmecorp',
        workspace: '1234567',
        admin_url: 'https://mc.adobe.io',
        edge_url: 'https://acmecorp.tt.omtrdc.net',
        ims_url: 'https://ims-na1.adobelogin.com',
        rate_limit: 5,
      },
    },
    identity: { customerio: 'id', target: 'thirdPartyId', hash: 'none' },
    sync: { max_latency: { text: '30m', ms: 1_800_000 }, size_swing_pct: 50 },
    fields: {},
    segments: byKey(parts.segments ?? []),
    audiences: byKey(parts.audiences ?? []),
    precedence: parts.precedence ?? (parts.audiences ?? []).map((a) => a.key),
    holdouts: parts.holdouts ?? {},
    cooldowns: parts.cooldowns ?? {},
    offers: byKey(parts.offers ?? []),
    activities: byKey(parts.activities ?? []),
    moved: parts.moved ?? [],
  };
}

const d = (text: string, ms: number) => ({ text, ms });
const H = 3_600_000;

/** The root audiences.yaml as the loader normalizes it (content files inlined). */
export function rootConfig(): Config {
  return config({
    segments: [
      segment('cart_abandoned_4h', { name: 'Cart Abandoned (last 4h)', id: 101, window: d('4h', 4 * H) }),
      segment('first_time_buyer_30d', { name: 'First-Time Buyer (30d)', id: 102, incentive: { discount_pct: 10, channel: 'email' } }),
      segment('replenishment_due', { name: 'Replenishment Due (21-28d)', id: 103 }),
      segment('vip_high_ltv', { name: 'High LTV VIP', id: 104 }),
      segment('lapsed_90d', { name: 'Lapsed (no purchase 90d)', id: 105 }),
      segment('clicked_no_purchase_7d', { name: 'Click-Through Intent (7d)', id: 106 }),
      segment('purchased_14d', { name: 'Purchased (last 14d)', id: 107, description: 'Post-purchase cooldown: no promotions right after an order' }),
    ],
    audiences: [
      audience('cart_abandoners', 'cart_abandoned_4h', { name: 'Cart Abandoners (4h)' }),
      audience('replenishment_due', 'replenishment_due', { name: 'Replenishment Due', where: [where('last_category', 'in', ['skincare', 'coffee'])] }),
      audience('first_time_buyers', 'first_time_buyer_30d', { name: 'First-Time Buyers', where: [where('orders_count', 'eq', 1)] }),
      audience('click_intent', 'clicked_no_purchase_7d', { name: 'Click-Through Intent' }),
      audience('vip', 'vip_high_ltv', { name: 'VIP', where: [where('lifetime_value', 'gte', 500)] }),
      audience('lapsed_winback', 'lapsed_90d', { name: 'Lapsed Win-Back' }),
    ],
    precedence: ['cart_abandoners', 'replenishment_due', 'first_time_buyers', 'click_intent', 'vip', 'lapsed_winback'],
    holdouts: { onsite_control: { key: 'onsite_control', percent: 10, salt: '2026-q4', writeback: false, description: 'Global onsite control group' } },
    cooldowns: {
      post_purchase: { key: 'post_purchase', segment: 'purchased_14d', suppress: ['winback_banner', 'cart_welcome_code'] },
    },
    offers: [
      offer('cart_resume', { name: 'Cart resume module', content: '<section class="cart-resume">\n  <h2>Still in your cart</h2>\n</section>', content_file: 'offers/cart-resume.html' }),
      offer('replenish_reminder', { name: 'Replenish reminder', content: '<div class="replenish">Running low?</div>\n' }),
      offer('welcome_second_order', { name: 'Welcome: 10% off order two', content: '<div class="welcome">10% off order two</div>' }),
      offer('vip_early_access', { name: 'VIP early access', content: '<div class="hero vip">Early access to the winter drop</div>' }),
      offer('browse_continue', { name: 'Pick up where you left off', content: '<div class="pdp-strip">Still thinking it over? Your picks are saved.</div>' }),
      offer('winback_15', { name: 'Win-back 15% off', content: '<div class="winback">15% off</div>' }),
      offer('default_hero', { name: 'Default hero', content: '<div class="hero">New arrivals</div>' }),
    ],
    activities: [
      activity('homepage_hero', {
        name: 'Homepage hero by retention state',
        location: 'homepage-hero',
        holdout: 'onsite_control',
        experiences: [
          exp('cart_abandoners', 'cart_resume', { name: 'Cart Abandoners (4h)', lasts: d('4h', 4 * H) }),
          exp('replenishment_due', 'replenish_reminder', { name: 'Replenishment Due' }),
          exp('vip', 'vip_early_access', { name: 'VIP' }),
          exp(undefined, 'default_hero', { name: 'Everyone else' }),
        ],
      }),
      activity('pdp_intent_strip', {
        name: 'Product page strip for email clickers',
        location: 'product-page-strip',
        holdout: 'onsite_control',
        experiences: [exp('click_intent', 'browse_continue', { name: 'Click-Through Intent' }), exp('vip', 'vip_early_access', { name: 'VIP' })],
      }),
      activity('cart_welcome_code', {
        name: 'Cart drawer reminder of the welcome code',
        location: 'cart-drawer',
        holdout: 'onsite_control',
        experiences: [exp('first_time_buyers', 'welcome_second_order', { name: 'First-Time Buyers' })],
        incentive: { owner: 'customerio', discount_pct: 10 },
      }),
      activity('winback_banner', {
        name: 'Site banner: win-back offer',
        location: 'site-banner',
        holdout: 'onsite_control',
        experiences: [exp('lapsed_winback', 'winback_15', { name: 'Lapsed Win-Back' })],
        incentive: { owner: 'target', discount_pct: 15 },
      }),
    ],
  });
}
