package org.machina.monitor.commands;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.machina.api.machine.Machine;
import org.machina.api.memory.AddressSpace;
import org.machina.api.memory.IoCounters;
import org.machina.api.monitor.CommandContext;
import org.machina.api.monitor.MonitorCommand;
import org.machina.api.monitor.MonitorException;
import org.osgi.service.component.annotations.Component;

/**
 * QMP {@code x-machina-query-cpu-stats}: where a machine's time goes. The CPU's counters
 * (instructions, interrupts, exceptions by vector, TLB and decoded-code events, whatever the CPU
 * bundle counts) and, per mapped I/O region of the memory and port spaces, the accesses and the
 * host time in its handlers, busiest first. Read on the machine thread, so one reply is one
 * consistent snapshot; the guest clock's reading is included so two snapshots give rates.
 */
@Component(service = MonitorCommand.class, property = "machina.name=x-machina-query-cpu-stats")
public final class QueryCpuStats implements MonitorCommand {
    private static final long TIMEOUT_SECONDS = 10;

    @Override
    public String name() {
        return "x-machina-query-cpu-stats";
    }

    @Override
    public String description() {
        return "CPU counters and per-device I/O accesses and handler time (profiling)";
    }

    @Override
    public Object execute(CommandContext context, Map<String, Object> arguments) throws MonitorException {
        Args.only(arguments, Set.of());
        Machine machine = context.requireMachine();
        return Args.onMachineThread(machine, "statistics", TIMEOUT_SECONDS, () -> snapshot(machine));
    }

    private static Map<String, Object> snapshot(Machine machine) {
        Map<String, Long> cpu = machine.cpu().map(c -> c.statistics()).orElse(Map.of());
        List<Object> io = new ArrayList<>();
        add(io, "memory", machine.memory());
        add(io, "io", machine.io());
        return Args.ordered("guest-ns", machine.executor().clock().nanos(), "cpu", cpu, "devices", io);
    }

    private static void add(List<Object> out, String space, AddressSpace as) {
        for (IoCounters c : as.ioCounters()) {
            out.add(Args.ordered("space", space, "region", c.region(), "base", c.base(), "reads", c.reads(),
                    "writes", c.writes(), "handler-ns", c.nanos(), "fastpath-reads", c.fastReads(),
                    "fastpath-writes", c.fastWrites()));
        }
    }
}
