// A small program on both platforms (no derived audiences) for tests that apply it many times.
export const SMALL_CONFIG = `version: 1
workspace: e2e-small
providers:
  customerio: { region: us, app_api_key: "\${CUSTOMERIO_APP_API_KEY}" }
  adobe_target: { tenant: acme, client_code: acme, client_id: "\${ADOBE_CLIENT_ID}", client_secret: "\${ADOBE_CLIENT_SECRET}" }
segments:
  cart_abandoned_4h: { name: "Cart Abandoned (last 4h)", type: data_driven, id: 101, window: 4h }
  vip_high_ltv: { name: "High LTV VIP", type: data_driven, id: 104, window: 365d }
  lapsed_90d: { name: "Lapsed (no purchase 90d)", type: data_driven, id: 105, window: 180d }
audiences:
  cart_abandoners: { name: "Cart Abandoners", segment: cart_abandoned_4h }
  vip: { name: "VIP", segment: vip_high_ltv }
  lapsed: { name: "Lapsed", segment: lapsed_90d }
precedence: [cart_abandoners, vip, lapsed]
offers:
  cart_resume: { name: "Cart resume", content: '<div>Your cart is waiting</div>' }
  vip_access: { name: "VIP access", content: '<div>Early access</div>' }
  winback: { name: "Win-back", content: '<div>We miss you</div>' }
activities:
  cart_hero:
    name: "Cart hero"
    type: xt
    location: cart-hero
    state: saved
    experiences: [ { audience: cart_abandoners, offer: cart_resume, lasts: 4h } ]
  vip_strip:
    name: "VIP strip"
    type: xt
    location: vip-strip
    state: saved
    experiences: [ { audience: vip, offer: vip_access } ]
  winback_banner:
    name: "Win-back banner"
    type: xt
    location: winback-banner
    state: saved
    experiences: [ { audience: lapsed, offer: winback, lasts: 14d } ]
`;
