package org.machina.block;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.machina.api.block.BlockDriver;
import org.machina.api.block.BlockNode;
import org.osgi.service.component.annotations.Component;

/** The {@code raw} format: any file, probed last (it matches everything). */
@Component(service = BlockDriver.class, property = "machina.name=raw")
public final class RawDriver implements BlockDriver {
    @Override
    public String format() {
        return "raw";
    }

    @Override
    public boolean probe(byte[] header) {
        return false; // raw is never probed: it is the explicit fallback
    }

    @Override
    public BlockNode open(String nodeName, Path file, boolean readOnly, Map<String, String> options) throws IOException {
        return new RawNode(nodeName, file, readOnly);
    }
}
