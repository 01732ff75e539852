package org.machina.monitor.commands;

import java.util.Map;
import java.util.Set;
import org.machina.api.monitor.CommandContext;
import org.machina.api.monitor.MonitorCommand;
import org.machina.api.monitor.MonitorException;
import org.osgi.service.component.annotations.Component;

/**
 * QMP {@code eject}: opens a CD-ROM's tray and takes its medium out. {@code id} names the device
 * ({@code -device ide-cd,id=...}), {@code device} its drive ({@code -drive ...,id=...}; for
 * {@code -cdrom} the drive id the command line gave it); {@code force} ejects a medium the guest
 * has locked in (otherwise refused, and the guest is sent an eject request).
 */
@Component(service = MonitorCommand.class, property = "machina.name=eject")
public final class Eject implements MonitorCommand {
    @Override
    public String name() {
        return "eject";
    }

    @Override
    public String description() {
        return "opens a CD-ROM's tray and removes its medium (device: drive id, or id: device id; force)";
    }

    @Override
    public Object execute(CommandContext context, Map<String, Object> arguments) throws MonitorException {
        Args.only(arguments, Set.of("device", "id", "force"));
        String id = target(arguments);
        boolean force = Args.optBool(arguments, "force", false);
        media(() -> context.requireMachine().ejectMedium(id, force));
        return Map.of();
    }

    /** The drive or device the command names: {@code id} or {@code device}, exactly one. */
    static String target(Map<String, Object> arguments) throws MonitorException {
        String device = Args.optString(arguments, "device");
        String id = Args.optString(arguments, "id");
        if ((device == null) == (id == null)) {
            throw Args.error("Need exactly one of 'device' and 'id'");
        }
        return id != null ? id : device;
    }

    interface MediaAction {
        void run() throws MonitorException;
    }

    /** Runs a media change, turning the machine's refusals into QMP errors. */
    static void media(MediaAction action) throws MonitorException {
        try {
            action.run();
        } catch (IllegalArgumentException e) {
            throw new MonitorException(e.getMessage() != null && e.getMessage().startsWith("Device '")
                    ? MonitorException.ErrorClass.DeviceNotFound : MonitorException.ErrorClass.GenericError, e.getMessage());
        } catch (IllegalStateException | UnsupportedOperationException e) {
            throw Args.error(e.getMessage());
        }
    }
}
