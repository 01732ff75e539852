package org.machina.monitor.commands;

import java.util.Map;
import java.util.Set;
import org.machina.api.monitor.CommandContext;
import org.machina.api.monitor.MonitorCommand;
import org.machina.api.monitor.MonitorException;
import org.osgi.service.component.annotations.Component;
import java.util.LinkedHashMap;
import java.util.List;

/** QMP {@code query-cpus-fast}: the virtual CPUs (one, index 0). */
@Component(service = MonitorCommand.class, property = "machina.name=query-cpus-fast")
public final class QueryCpusFast implements MonitorCommand {
    @Override
    public String name() {
        return "query-cpus-fast";
    }

    @Override
    public String description() {
        return "the virtual CPUs (one, index 0)";
    }

    @Override
    public Object execute(CommandContext context, Map<String, Object> arguments) throws MonitorException {
        Args.only(arguments, Set.of());
        if (context.requireMachine().cpu().isEmpty()) {
            return List.of();
        }
        Map<String, Object> cpu = new LinkedHashMap<>();
        cpu.put("cpu-index", 0);
        cpu.put("qom-path", "/machine/unattached/device[0]");
        cpu.put("thread-id", ProcessHandle.current().pid());
        cpu.put("props", Map.of("core-id", 0, "thread-id", 0, "socket-id", 0));
        cpu.put("target", "i386");
        return List.of(cpu);
    }
}
