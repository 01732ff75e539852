package org.machina.devices.usb.video;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.machina.api.bus.usb.UsbBus;
import org.machina.api.device.Device;
import org.machina.api.device.DeviceConfig;
import org.machina.api.device.DeviceContext;
import org.machina.api.device.DeviceType;
import org.machina.api.device.PropertySpec;
import org.machina.api.video.VideoSource;
import org.machina.api.video.VideoSourceFactory;
import org.machina.devices.usb.video.source.FileSourceFactory;
import org.machina.devices.usb.video.source.PatternSourceFactory;
import org.machina.devices.usb.video.source.ProcessSourceFactory;
import org.machina.devices.usb.video.source.V4l2SourceFactory;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

/**
 * Publishes {@link UsbVideo} as device type {@code usb-video}. The frame source is picked by name
 * ({@code source=pattern}, {@code source=file,path=FILE}, {@code source=process,command=CMD},
 * {@code source=v4l2,device=/dev/videoN}, or
 * the name of any {@link VideoSourceFactory} service another bundle registers); the built-in factories are
 * also used directly, so they never depend on service start order.
 */
@Component(service = DeviceType.class, property = DeviceType.NAME_PROPERTY + "=" + UsbVideoType.NAME)
public final class UsbVideoType implements DeviceType {
    static final String NAME = "usb-video";
    private static final List<VideoSourceFactory> BUILT_IN = List.of(new PatternSourceFactory(), new FileSourceFactory(),
            new ProcessSourceFactory(), new V4l2SourceFactory());

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    volatile List<VideoSourceFactory> factories = List.of();

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "USB Video Class 1.1 camera: YUYV 160x120..640x480 and MJPEG up to 1280x720 over isochronous "
                + "or bulk transfers, "
                + "from a video source (pattern, file, process, v4l2, or a third-party source)";
    }

    @Override
    public List<PropertySpec> properties() {
        return List.of(
                PropertySpec.string("bus", "", "the USB bus: ID.0 of a qemu-xhci/nec-usb-xhci (default: the first USB controller)"),
                PropertySpec.integer("port", -1L, "root port 1..N (-1: the first free port)"),
                PropertySpec.string("transfer", "iso", "how frames cross the bus: iso (isochronous alternate settings "
                        + "sized by bandwidth, as webcams do; default) or bulk (one bulk endpoint)"),
                PropertySpec.string("speed", "high", "high (USB 2.0, a USB 2 root port; default) or super (USB 3.0 "
                        + "SuperSpeed on a USB 3 root port: isochronous packet trains of up to 48 KiB a millisecond)"),
                PropertySpec.string("source", PatternSourceFactory.NAME,
                        "where frames come from: " + String.join(", ", names()) + " (default pattern)"),
                PropertySpec.string("path", "", "the file of source=file: YUV4MPEG2 (.y4m), MJPEG (.mjpeg, .jpg) or a still picture (.png, .bmp, .gif, .ppm)"),
                PropertySpec.string("command", "", "the shell command of source=process (writes YUV4MPEG2 to stdout)"),
                PropertySpec.string("device", "", "the V4L2 capture device of source=v4l2 (default /dev/video0)"));
    }

    @Override
    public Device create(DeviceContext context, DeviceConfig config) {
        String bus = config.string("bus");
        String transfer = config.string("transfer");
        if (!transfer.equals("iso") && !transfer.equals("bulk")) {
            throw new IllegalArgumentException("device '" + config.id() + "' (" + NAME + "): transfer='" + transfer
                    + "' is not iso or bulk");
        }
        String speed = config.string("speed");
        if (!speed.equals("high") && !speed.equals("super")) {
            throw new IllegalArgumentException("device '" + config.id() + "' (" + NAME + "): speed='" + speed
                    + "' is not high or super");
        }
        String name = config.string("source");
        VideoSourceFactory factory = find(name);
        if (factory == null) {
            throw new IllegalArgumentException("device '" + config.id() + "' (" + NAME + "): unknown source '" + name
                    + "' (known: " + String.join(", ", names()) + ")");
        }
        VideoSource source;
        try {
            source = factory.open(Map.of("path", config.string("path"), "command", config.string("command"),
                    "device", config.string("device")));
        } catch (IOException e) {
            throw new IllegalArgumentException("device '" + config.id() + "' (" + NAME + "): " + e.getMessage(), e);
        }
        return new UsbVideo(context, bus.isEmpty() ? UsbBus.DEFAULT : bus, config.int32("port"), source, null,
                transfer.equals("iso"), speed.equals("super"));
    }

    private VideoSourceFactory find(String name) {
        for (VideoSourceFactory f : factories) {
            if (f.name().equals(name)) {
                return f;
            }
        }
        for (VideoSourceFactory f : BUILT_IN) {
            if (f.name().equals(name)) {
                return f;
            }
        }
        return null;
    }

    private List<String> names() {
        TreeSet<String> n = new TreeSet<>();
        for (VideoSourceFactory f : BUILT_IN) {
            n.add(f.name());
        }
        for (VideoSourceFactory f : factories) {
            n.add(f.name());
        }
        return new ArrayList<>(n);
    }
}
