import { describe, expect, it } from 'vitest';
import { resolveRoom, type RoomDirectoryConfig } from '../../../src/app/room-directory.ts';

const dir: RoomDirectoryConfig = {
  onDemand: false,
  maxParticipants: 16,
  rooms: [
    { id: 'lobby', name: 'Lobby' },
    { id: 'board', profile: 'secure', max_participants: 4 },
    { id: 'lab', allow_cidr: ['10.0.0.0/8', '::1/128'] },
  ],
  pins: new Map([['board', '2468']]),
};

describe('resolveRoom (issue 6: rooms by sip:ROOM@host, PIN as ROOM*PIN, access by CIDR)', () => {
  const table: ReadonlyArray<readonly [string | null, string | null, number | string]> = [
    ['lobby', '127.0.0.1', 'lobby'],
    ['nosuch', '127.0.0.1', 404],
    [null, '127.0.0.1', 404],
    ['../etc', '127.0.0.1', 404],
    ['board', '127.0.0.1', 403], // PIN required
    ['board*1357', '127.0.0.1', 403], // wrong PIN
    ['board*2468', '127.0.0.1', 'board'],
    ['lab', '10.1.2.3', 'lab'],
    ['lab', '::1', 'lab'],
    ['lab', '192.0.2.1', 403],
  ];
  for (const [user, ip, want] of table) {
    it(`${String(user)} from ${String(ip)} -> ${String(want)}`, () => {
      const r = resolveRoom(dir, user, ip);
      if (typeof want === 'number') {
        expect(r.ok).toBe(false);
        if (!r.ok) expect(r.status).toBe(want);
      } else {
        expect(r.ok).toBe(true);
        if (r.ok) expect(r.room.id).toBe(want);
      }
    });
  }

  it('carries per-room profile and limit, defaults otherwise', () => {
    const b = resolveRoom(dir, 'board*2468', null);
    expect(b.ok && b.room).toMatchObject({ profile: 'secure', maxParticipants: 4 });
    const l = resolveRoom(dir, 'lobby', null);
    expect(l.ok && l.room).toMatchObject({ name: 'Lobby', profile: undefined, maxParticipants: 16 });
  });

  it('creates unknown rooms only when on_demand is set', () => {
    expect(resolveRoom({ ...dir, onDemand: true }, 'adhoc', '127.0.0.1')).toMatchObject({ ok: true, room: { id: 'adhoc', maxParticipants: 16 } });
  });
});
