import { findHeaders } from '../headers.ts';
import type { SipRequest, SipResponse } from '../message.ts';
import { createResponse } from '../response.ts';
import type { InviteServerState } from '../transaction/invite-server.ts';

/**
 * CANCEL at the UAS (RFC 3261 9.2). `invite` is the INVITE server transaction found with
 * cancelTargetKey(), or undefined. The CANCEL gets 200 when it matched (481 otherwise); if the
 * INVITE has no final response yet, the INVITE is answered 487, sent through its transaction
 * (`send-response`), with the To tag of any provisional already sent.
 */
export function answerCancel(cancel: SipRequest, invite: InviteServerState | undefined, toTag?: string): { readonly cancelResponse: SipResponse; readonly inviteResponse: SipResponse | null } {
  const tagOpt = toTag === undefined ? {} : { toTag };
  if (invite === undefined || invite.state === 'terminated') return { cancelResponse: createResponse(cancel, 481, undefined, [], tagOpt), inviteResponse: null };
  const cancelResponse = createResponse(cancel, 200, undefined, [], tagOpt);
  if (invite.state !== 'proceeding') return { cancelResponse, inviteResponse: null };
  // Reuse the To of a provisional with a tag so the 487 belongs to the same (early) dialog.
  const prior = invite.lastResponse !== null && invite.lastResponse.status > 100 ? findHeaders(invite.lastResponse, 'To')[0] : undefined;
  const base = createResponse(invite.request, 487, undefined, [], tagOpt);
  const inviteResponse = prior === undefined ? base : { ...base, headers: base.headers.map((h) => (h.name === 'To' ? prior : h)) };
  return { cancelResponse, inviteResponse };
}
