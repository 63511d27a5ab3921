/**
 * The members of a Unix `ar` archive, the container of a Debian binary package (.deb): an 8-byte magic, then each
 * member as a 60-byte text header and its bytes, padded to an even offset. Read by hand: the format is those few
 * fields, and no maintained npm package reads it.
 */
import { DerivationError } from '../derivation-error.js';

export interface ArMember {
  readonly name: string;
  readonly data: Uint8Array;
}

const MAGIC = '!<arch>\n';
const HEADER = 60;
const latin1 = new TextDecoder('latin1');

/** @throws DerivationError when `bytes` is not an ar archive or a member runs past its end (`what` names it). */
export function readAr(bytes: Uint8Array, what: string): ArMember[] {
  if (bytes.length < MAGIC.length || latin1.decode(bytes.subarray(0, MAGIC.length)) !== MAGIC) throw new DerivationError(what, 'not an ar archive (a .deb starts with "!<arch>")');
  const members: ArMember[] = [];
  let at = MAGIC.length;
  while (at + HEADER <= bytes.length) {
    const header = latin1.decode(bytes.subarray(at, at + HEADER));
    if (header.slice(58, 60) !== '`\n') throw new DerivationError(what, `ar member header at byte ${at} has no terminator`);
    const size = Number(header.slice(48, 58).trim());
    if (!Number.isSafeInteger(size) || size < 0 || at + HEADER + size > bytes.length) throw new DerivationError(what, `ar member at byte ${at} claims ${header.slice(48, 58).trim()} bytes`);
    // GNU ar ends names with '/'; Debian's tools write them without.
    members.push({ name: header.slice(0, 16).trim().replace(/\/$/, ''), data: bytes.subarray(at + HEADER, at + HEADER + size) });
    at += HEADER + size + (size % 2);
  }
  // A last member's padding byte may be missing; anything longer is a header cut short.
  if (at < bytes.length - 1) throw new DerivationError(what, `ar archive ends inside a member header at byte ${at}`);
  return members;
}
