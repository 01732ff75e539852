package org.machina.nbd.qmp;

import java.util.Map;
import org.machina.api.monitor.CommandContext;
import org.machina.api.monitor.MonitorCommand;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * QMP {@code query-block-exports}: QEMU's {@code type, id, node-name, shutting-down} for each NBD export,
 * plus Machina's {@code name, writable, frozen}.
 */
@Component(service = MonitorCommand.class, property = "machina.name=query-block-exports")
public final class QueryBlockExports implements MonitorCommand {
    @Reference
    NbdExports exports;

    @Override
    public String name() {
        return "query-block-exports";
    }

    @Override
    public String description() {
        return "list the NBD exports";
    }

    @Override
    public Object execute(CommandContext context, Map<String, Object> arguments) {
        return exports.list();
    }
}
