package org.machina.devices.usb.video.source;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Finds the JPEG pictures of an MJPEG stream (JPEG files one after the other, as
 * {@code ffmpeg -f mjpeg} writes them) by their markers (ITU-T T.81 annex B): SOI, marker
 * segments skipped by their lengths, the entropy-coded data after SOS up to the next marker that
 * is not a restart marker or a stuffed 0xFF00, until EOI. Stops at bytes that do not start a
 * picture; a picture cut short at the end is dropped.
 */
final class JpegIndex {
    /** One picture: its first byte (SOI) and the byte after its EOI. */
    record Span(int start, int end) {
    }

    private JpegIndex() {
    }

    static List<Span> scan(ByteBuffer b) {
        List<Span> out = new ArrayList<>();
        int size = b.limit();
        int pos = 0;
        while (pos + 1 < size && u8(b, pos) == 0xFF && u8(b, pos + 1) == 0xD8) {
            int end = pictureEnd(b, pos + 2, size);
            if (end < 0) {
                break;
            }
            out.add(new Span(pos, end));
            pos = end;
            while (pos < size && u8(b, pos) != 0xFF) {
                pos++;                                       // padding between pictures (some writers add newlines)
                if (pos - end > 16) {
                    return out;
                }
            }
        }
        return out;
    }

    /** The byte after the EOI of a picture whose SOI ends before {@code p}, or -1 if the data ends first. */
    private static int pictureEnd(ByteBuffer b, int p, int size) {
        while (p + 1 < size) {
            if (u8(b, p) != 0xFF) {
                return -1;                                   // not a marker where one must be
            }
            int marker = u8(b, p + 1);
            if (marker == 0xFF) {
                p++;                                         // fill byte
                continue;
            }
            if (marker == 0xD9) {
                return p + 2;
            }
            if (marker == 0x01 || marker >= 0xD0 && marker <= 0xD7) {
                p += 2;
                continue;
            }
            if (p + 3 >= size) {
                return -1;
            }
            int length = u8(b, p + 2) << 8 | u8(b, p + 3);
            if (length < 2) {
                return -1;
            }
            p += 2 + length;
            if (marker == 0xDA) {                            // SOS: entropy-coded data up to the next marker
                while (p + 1 < size) {
                    if (u8(b, p) == 0xFF) {
                        int next = u8(b, p + 1);
                        if (next != 0 && !(next >= 0xD0 && next <= 0xD7)) {
                            break;
                        }
                    }
                    p++;
                }
            }
        }
        return -1;
    }

    private static int u8(ByteBuffer b, int at) {
        return b.get(at) & 0xFF;
    }
}
