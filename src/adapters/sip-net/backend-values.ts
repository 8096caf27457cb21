/**
 * Plain values between SIP messages and the SignallingBackend port (src/ports/signalling-backend.ts)
 * for the embedded backend: Warning values, the peer's Allow, tags, sources with TLS identity.
 */
import type { SipRequest } from '../../core/sip/index.ts';
import { formatUri, getAllow, getFrom, getTo } from '../../core/sip/index.ts';
import type { SignallingSource, TlsPeerIdentity } from '../../ports/signalling-backend.ts';
import type { InboundSource } from './sip-engine.ts';

/**
 * RFC 3261 20.43 warning-value: callers pass either plain text (wrapped as warn-code 399 =
 * miscellaneous, agent "gatehouse") or a complete `399 gatehouse "..."` value, which the call
 * logic builds itself and which must not be wrapped a second time. The text must not carry secrets.
 */
export function warningValue(warning: string): string {
  if (/^[0-9]{3} [^\s"]+ "(?:[^"\\\r\n]|\\[^\r\n])*"$/.test(warning)) return warning;
  return `399 gatehouse "${warning.replace(/["\\\r\n]/g, ' ')}"`;
}

/** Whether the dialog-creating INVITE listed UPDATE in Allow (a malformed Allow counts as no). */
export function allowsUpdate(req: SipRequest): boolean {
  try {
    return getAllow(req).some((m) => m.toUpperCase() === 'UPDATE');
  } catch {
    return false;
  }
}

export function parseTag(params: readonly { name: string; value: string | null }[]): string {
  return params.find((p) => p.name.toLowerCase() === 'tag')?.value ?? '';
}

export function formatNameAddrSafe(req: SipRequest, which: 'From' | 'To'): string {
  const na = which === 'From' ? getFrom(req) : getTo(req);
  return formatUri(na.uri);
}

export function toSource(s: InboundSource): SignallingSource {
  const c = s.tlsPeerCertificate;
  const tlsPeer: TlsPeerIdentity | undefined =
    c === undefined
      ? undefined
      : { subject: flatDn(c.subject), issuer: flatDn(c.issuer), subjectAltName: c.subjectaltname, fingerprint256: c.fingerprint256, validTo: c.valid_to };
  return { transport: s.transport, remote: s.remote, local: s.local, tlsPeer };
}

/** Distinguished name fields as plain strings (multi-valued fields joined with ", "). */
function flatDn(dn: Readonly<Record<string, string | string[] | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(dn)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}
