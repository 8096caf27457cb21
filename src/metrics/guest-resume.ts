/**
 * Browser guests continuing their call on another instance after a takeover (issue 7,
 * src/app/guest-resume.ts). Labels never carry call ids or addresses.
 */
import { counter } from './registry.ts';

/** Stray re-INVITEs and held guest calls, by outcome: resumed / failed / expired (the browser
 * never came back) / unknown (481) / unavailable (503) / owned-elsewhere (503, try another). */
export const guestResumes = counter('gatehouse_takeover_guest_resumes_total', 'Browser guests resuming a call after a takeover, by outcome', ['outcome']);
