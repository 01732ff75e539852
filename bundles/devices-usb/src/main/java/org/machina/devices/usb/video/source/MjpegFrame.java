package org.machina.devices.usb.video.source;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import javax.imageio.ImageIO;
import org.machina.devices.usb.video.mjpeg.JpegEncoder;

/**
 * One captured MJPEG frame decoded to a picture. Many webcams leave the Huffman tables out of
 * their frames (the MJPEG convention: the decoder is to use the typical tables of ITU-T T.81
 * Annex K.3), which javax.imageio refuses; such a frame gets a DHT segment with those tables
 * before its first SOS.
 */
final class MjpegFrame {
    private MjpegFrame() {
    }

    static RgbPicture decode(byte[] jpeg, int length) throws IOException {
        byte[] whole = withHuffmanTables(jpeg, length);
        BufferedImage image = ImageIO.read(new ByteArrayInputStream(whole));
        if (image == null) {
            throw new IOException("not a JPEG picture javax.imageio reads");
        }
        return RgbPicture.of(image);
    }

    /**
     * The frame's first {@code length} bytes, with the Annex K tables inserted before SOS if no DHT
     * segment comes before it (T.81 annex B marker segments, each skipped by its length).
     */
    static byte[] withHuffmanTables(byte[] jpeg, int length) throws IOException {
        if (length < 4 || (jpeg[0] & 0xFF) != 0xFF || (jpeg[1] & 0xFF) != 0xD8) {
            throw new IOException("no JPEG SOI at the frame's start");
        }
        int p = 2;
        while (p + 3 < length) {
            if ((jpeg[p] & 0xFF) != 0xFF) {
                throw new IOException("no marker at byte " + p);
            }
            int marker = jpeg[p + 1] & 0xFF;
            if (marker == 0xFF) {
                p++;
                continue;
            }
            if (marker == 0xC4) {
                return java.util.Arrays.copyOf(jpeg, length);       // has its own tables
            }
            if (marker == 0xDA) {
                byte[] dht = JpegEncoder.standardHuffmanTables();
                byte[] out = new byte[length + dht.length];
                System.arraycopy(jpeg, 0, out, 0, p);
                System.arraycopy(dht, 0, out, p, dht.length);
                System.arraycopy(jpeg, p, out, p + dht.length, length - p);
                return out;
            }
            p += 2 + ((jpeg[p + 2] & 0xFF) << 8 | jpeg[p + 3] & 0xFF);
        }
        throw new IOException("no SOS marker segment within the frame's " + length + " bytes");
    }
}
