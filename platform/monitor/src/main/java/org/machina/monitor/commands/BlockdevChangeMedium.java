package org.machina.monitor.commands;

import java.util.Map;
import java.util.Set;
import org.machina.api.monitor.CommandContext;
import org.machina.api.monitor.MonitorCommand;
import org.machina.api.monitor.MonitorException;
import org.osgi.service.component.annotations.Component;

/**
 * QMP {@code blockdev-change-medium}: replaces a CD-ROM's medium with the image {@code filename}
 * (opened read-only as {@code format}, probed when absent): the tray opens, the new medium goes
 * in, the tray closes, and the guest sees a new medium. {@code device}/{@code id} and
 * {@code force} as for {@link Eject}; {@code read-only-mode} may be {@code retain} or
 * {@code read-only} (a CD-ROM is read-only).
 */
@Component(service = MonitorCommand.class, property = "machina.name=blockdev-change-medium")
public final class BlockdevChangeMedium implements MonitorCommand {
    @Override
    public String name() {
        return "blockdev-change-medium";
    }

    @Override
    public String description() {
        return "replaces a CD-ROM's medium with an image file (device or id, filename, format, force)";
    }

    @Override
    public Object execute(CommandContext context, Map<String, Object> arguments) throws MonitorException {
        Args.only(arguments, Set.of("device", "id", "filename", "format", "force", "read-only-mode"));
        String id = Eject.target(arguments);
        String file = Args.string(arguments, "filename");
        String format = Args.optString(arguments, "format");
        boolean force = Args.optBool(arguments, "force", false);
        String mode = Args.optString(arguments, "read-only-mode");
        if (mode != null && !mode.equals("retain") && !mode.equals("read-only")) {
            throw Args.error("read-only-mode '" + mode + "': a CD-ROM's medium is read-only (retain or read-only)");
        }
        Eject.media(() -> context.requireMachine().changeMedium(id, file, format == null ? "" : format, force));
        return Map.of();
    }
}
