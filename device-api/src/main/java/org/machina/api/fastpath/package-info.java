/**
 * Fast-path handlers: hot device registers (a free-running counter, a status register) served
 * directly to the CPU, with "not handled" expressed by declining rather than by a sentinel.
 *
 * <h2>Rules for handlers</h2>
 * <ol>
 *   <li>A handler runs on the thread that runs the CPU. Today that is the machine thread, but a
 *       handler must be written for a vCPU thread running next to it: it reads only state
 *       published safely (final fields, volatile fields, atomics) and the
 *       {@link org.machina.api.time.VirtualClock}. A counter read in a tight loop takes its time
 *       from {@link org.machina.api.time.VirtualClock#recentNanos} (on both paths, so they agree),
 *       which on the machine thread does not read the host clock at every call.</li>
 *   <li>A served read has no side effects: the same read through the normal path at the same
 *       moment gives the same value. A register whose read changes state (clear-on-read) is not
 *       served. The one exception is a data port that streams a buffer (the IDE PIO data port):
 *       a read may consume the next element of a buffer the device published for the handler,
 *       when the handler moves the buffer's position atomically (compare and set, shared with
 *       the normal path) and consuming the element has no other effect; the access that ends
 *       the buffer (next block, interrupt, end of command) declines. The CPU calls a handler
 *       once per access, in program order, and only for accesses that happen.</li>
 *   <li>A write is served only when its whole effect is on state the handler publishes safely;
 *       anything that raises or lowers an interrupt, arms a timer, maps memory or asks the
 *       machine for something ({@link org.machina.api.device.MachineControl}) declines and takes
 *       the normal path, which runs on the machine thread.</li>
 *   <li>A handler does not block, allocate, log per access or throw. The registry detaches a
 *       handler that throws (the access and later ones take the normal path) and logs it
 *       once.</li>
 *   <li>A handler covers only its attached range; the registry refuses ranges outside the
 *       mapped region or overlapping another handler's.</li>
 * </ol>
 *
 * <p>Enforced: ranges by the registry; rule 2 by the devices' unit tests, which compare every
 * served read with the normal path. A range is served only where the normal path would reach the
 * same mapping (not where a higher-priority mapping covers it), and its handler is detached when
 * the mapping is unmapped or the device is released (unplugged, hot-swapped, machine shut down).
 * Version 2: version 1's {@code read} returned {@code Long.MIN_VALUE} for "not handled" (a valid
 * 8-byte value) and had no writes. Version 2.1 adds {@link FastPathDispatch}, the CPU's side;
 * 2.2 its {@link FastPathDispatch#servesMemoryPage} (the CPU's TLB keeps served device pages);
 * 2.3 {@link FastPathHandler#readString} and {@link FastPathDispatch#readPortString} (a
 * {@code REP INS} served a run of elements at a time); 2.4 {@link FastPathDispatch#bindPort} and
 * {@link FastPathPort} (a port's handler found once and kept by the CPU).
 */
@Version("2.4.0")
@Export
package org.machina.api.fastpath;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
