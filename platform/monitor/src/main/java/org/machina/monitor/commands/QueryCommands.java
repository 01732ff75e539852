package org.machina.monitor.commands;

import java.util.Map;
import java.util.Set;
import org.machina.api.monitor.CommandContext;
import org.machina.api.monitor.MonitorCommand;
import org.machina.api.monitor.MonitorException;
import org.osgi.service.component.annotations.Component;
import java.util.ArrayList;
import java.util.List;
import org.machina.monitor.QmpContext;

/** QMP {@code query-commands}: the commands this monitor accepts. */
@Component(service = MonitorCommand.class, property = "machina.name=query-commands")
public final class QueryCommands implements MonitorCommand {
    @Override
    public String name() {
        return "query-commands";
    }

    @Override
    public String description() {
        return "the commands this monitor accepts";
    }

    @Override
    public Object execute(CommandContext context, Map<String, Object> arguments) throws MonitorException {
        Args.only(arguments, Set.of());
        List<Map<String, Object>> out = new ArrayList<>();
        out.add(Map.of("name", "qmp_capabilities"));
        if (context instanceof QmpContext qmp) {
            for (MonitorCommand c : qmp.commands()) {
                out.add(Map.of("name", c.name()));
            }
        } else {
            out.add(Map.of("name", name()));
        }
        return out;
    }
}
