package org.machina.block;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.machina.api.block.BlockDriver;
import org.machina.api.block.BlockNode;
import org.osgi.service.component.annotations.Component;

/**
 * The {@code qcow2} format. Opens the image and its backing chain (backing files are relative to the
 * directory of the image naming them; their format comes from the header extension or probing).
 * Chains deeper than {@value #MAX_CHAIN} or with loops are refused. Backing files are opened read-only.
 */
@Component(service = BlockDriver.class, property = "machina.name=qcow2")
public final class Qcow2Driver implements BlockDriver {
    static final int MAX_CHAIN = 64;

    @Override
    public String format() {
        return "qcow2";
    }

    @Override
    public boolean probe(byte[] header) {
        return header.length >= 4 && ByteBuffer.wrap(header).getInt(0) == Qcow2Header.MAGIC;
    }

    @Override
    public BlockNode open(String nodeName, Path file, boolean readOnly, Map<String, String> options) throws IOException {
        return open(nodeName, file, readOnly, new HashSet<>(), 0);
    }

    private BlockNode open(String nodeName, Path file, boolean readOnly, Set<Path> chain, int depth) throws IOException {
        Path real;
        try {
            real = file.toRealPath();
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(file.toString(), null, "image file not found");
        }
        if (!chain.add(real)) {
            throw new IOException(file + ": qcow2 backing file: loop in the backing chain (" + real + " appears twice)");
        }
        if (depth > MAX_CHAIN) {
            throw new IOException(file + ": qcow2 backing file: backing chain deeper than " + MAX_CHAIN);
        }
        FileChannel ch = readOnly ? FileChannel.open(file, StandardOpenOption.READ)
                : FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
        BlockNode backing = null;
        try {
            Qcow2Header h = Qcow2Header.read(file, ch);
            if (h.backingFile != null) {
                backing = openBacking(nodeName, file, h, chain, depth);
            }
            return new Qcow2Node(nodeName, file, ch, readOnly, h, backing);
        } catch (IOException | RuntimeException e) {
            ch.close();
            if (backing != null) {
                backing.close();
            }
            throw e;
        }
    }

    private BlockNode openBacking(String nodeName, Path file, Qcow2Header h, Set<Path> chain, int depth) throws IOException {
        if (h.backingFile.startsWith("json:") || h.backingFile.contains("://")) {
            throw h.err("backing file", h.backingFileOffset, "backing '" + h.backingFile + "' is not a file name (only files are supported)");
        }
        Path dir = file.toAbsolutePath().getParent();
        Path bf = dir.resolve(h.backingFile);
        if (!Files.exists(bf)) {
            throw h.err("backing file", h.backingFileOffset, "backing file '" + h.backingFile + "' not found (looked for " + bf + ")");
        }
        String fmt = h.backingFormat;
        if (fmt == null) {
            byte[] head = new byte[4];
            try (FileChannel c = FileChannel.open(bf, StandardOpenOption.READ)) {
                c.read(ByteBuffer.wrap(head), 0);
            }
            fmt = probe(head) ? "qcow2" : "raw";
        }
        String child = nodeName + ".backing";
        return switch (fmt) {
            case "qcow2" -> open(child, bf, true, chain, depth + 1);
            case "raw" -> new RawNode(child, bf, true);
            default -> throw h.err("backing format extension", h.headerLength, "backing format '" + fmt + "' unsupported (accepted: raw, qcow2)");
        };
    }
}
