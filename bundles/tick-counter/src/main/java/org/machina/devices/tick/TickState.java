package org.machina.devices.tick;

/**
 * State of a tick counter, version 1.
 *
 * @param count ticks counted
 * @param periodNanos tick period in guest nanoseconds (0: stopped)
 * @param nextTick guest time of the next tick (meaningful while running)
 * @param irqEnabled whether each tick pulses the interrupt line
 */
public record TickState(long count, long periodNanos, long nextTick, boolean irqEnabled) {
}
