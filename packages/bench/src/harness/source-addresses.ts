/**
 * Loopback source addresses for client sockets. Each 127.x address has its
 * own ephemeral port range (~28k), and every scenario gets fresh addresses so
 * TIME_WAIT leftovers of the previous one never block a connect.
 */
const PER_ADDRESS = 4000;
let block = 10;

export function takeSourceAddresses(sockets: number): string[] {
  const n = Math.max(1, Math.ceil(sockets / PER_ADDRESS));
  const b = block++;
  if (block > 250) block = 10;
  return Array.from({ length: n }, (_, i) => `127.0.${b}.${i + 1}`);
}
