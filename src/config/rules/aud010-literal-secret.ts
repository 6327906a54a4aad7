// AUD010 literal-secret: a credential written into the config instead of a `${VAR}` reference.
import type { Finding } from '../findings.js';
import type { Interpolated } from '../types.js';
import type { LintRule } from './rule.js';

/** Secret settings (identifiers such as site_id and client_id may be literal). */
const SECRET_SETTINGS = {
  customerio: { app_api_key: 'CUSTOMERIO_APP_API_KEY', track_api_key: 'CUSTOMERIO_TRACK_API_KEY' },
  adobe_target: { client_secret: 'ADOBE_CLIENT_SECRET', profile_token: 'ADOBE_TARGET_PROFILE_TOKEN' },
} as const;

export const literalSecret: LintRule = {
  id: 'AUD010',
  name: 'literal-secret',
  severity: 'error',
  summary: 'A credential is written as a literal instead of a `${VAR}` reference.',
  check(config) {
    const findings: Finding[] = [];
    for (const [provider, settings] of Object.entries(SECRET_SETTINGS)) {
      const values = config.providers[provider as keyof typeof SECRET_SETTINGS] as Record<string, unknown> | undefined;
      if (!values) continue;
      for (const [setting, variable] of Object.entries(settings)) {
        const value = values[setting] as Interpolated | undefined;
        // A malformed `${…}` is reported by the semantic check, not as a literal.
        if (!value || value.vars.length > 0 || value.template.includes('${')) continue;
        // Never quote the value: it is a secret.
        findings.push({
          path: ['providers', provider, setting],
          message:
            `\`providers.${provider}.${setting}\` is written as a literal value: credentials must not be committed. ` +
            `Replace it with \`\${${variable}}\`, set ${variable} in the environment, and rotate the exposed credential.`,
        });
      }
    }
    return findings;
  },
};
