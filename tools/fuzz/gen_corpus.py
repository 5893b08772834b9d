#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Write the seed corpus for the vfio_user fuzz harnesses.

usage: gen_corpus.py DIR   (creates DIR/json, DIR/version, DIR/reply)

The input formats are described at the top of each fuzz_*.c harness.
"""
import os
import struct
import sys

QEMU_CAPS = (b'{"capabilities":{"migration":{"pgsize":4096,'
             b'"max_bitmap_size":268435456},"max_msg_fds":16,'
             b'"max_data_xfer_size":1048576,"pgsizes":4096,'
             b'"max_dma_maps":65535,"write_multiple":true}}')
LIBVFU_CAPS = (b'{"capabilities":{"max_msg_fds":8,'
               b'"max_data_xfer_size":1048576,'
               b'"twin_socket":{"supported":true,"fd_index":0}}}')
OURS = (b'{"capabilities":{"max_msg_fds":16,"max_data_xfer_size":1048576,'
        b'"pgsizes":4096,"max_dma_maps":16}}')

JSON = {
    'qemu': QEMU_CAPS,
    'libvfu': LIBVFU_CAPS,
    'ours': OURS,
    'scalars': b'[0,-0,1,-1,18446744073709551615,-9223372036854775808,'
               b'true,false,null,"",""]',
    'escapes': b'{"e":"\\"\\\\\\/\\b\\f\\n\\r\\t\\u0041\\ud83d\\ude00\xc3\xa9"}',
    'nested': b'{"a":{"b":[[{"c":[]}]]},"d":{}}',
    'dup': b'{"a":1,"\\u0061":2}',
    'float': b'{"x":1.5e3}',
    'ws': b' \t\r\n{ "k" : [ 1 , 2 ] }\n',
    'deep': b'{"a":[[[[[[{"b":1,"c":"s"}]]]]]]}',
}

# Reply harness selectors (fuzz_reply.c).
(V_HEADER, V_REPLY_HEADER, V_DEVICE_INFO, V_REGION_INFO, V_IRQ_INFO,
 V_REGION_READ, V_REGION_WRITE, V_DMA_REQUEST, V_DMA_UNMAP_REPLY,
 V_EMPTY_REPLY, V_IO_FDS, V_MIGRATION, V_MIG_STATE_GET, V_MIG_STATE_SET,
 V_MIG_DATA_READ, V_MIG_DATA_WRITE) = range(16)


def hdr(msg_id, cmd, size, flags, err):
    return struct.pack('<HHIII', msg_id, cmd, size, flags, err)


def region_info(index, flags, size, offset, caps=b''):
    cap_off = 32 if caps else 0
    if caps:
        flags |= 8
    return struct.pack('<IIIIQQ', 32 + len(caps), flags, index, cap_off,
                       size, offset) + caps


def sparse(areas, next_off=0):
    body = struct.pack('<HHIII', 1, 1, next_off, len(areas), 0)
    for off, size in areas:
        body += struct.pack('<QQ', off, size)
    return body


def cap_type(t, st, next_off=0):
    return struct.pack('<HHIII', 2, 1, next_off, t, st)


def reply_seeds():
    s = {}
    s['header_cmd'] = bytes([V_HEADER]) + hdr(1, 11, 32, 0, 0)
    s['header_err'] = bytes([V_HEADER]) + hdr(1, 4, 16, 0x21, 5)
    s['reply_hdr'] = (bytes([V_REPLY_HEADER]) + hdr(7, 5, 48, 0, 0) +
                      hdr(7, 5, 64, 1, 0))
    s['reply_hdr_err'] = (bytes([V_REPLY_HEADER]) + hdr(7, 5, 48, 0, 0) +
                          hdr(7, 5, 16, 0x21, 0))
    s['device_info'] = bytes([V_DEVICE_INFO]) + struct.pack('<IIII', 16, 3,
                                                            9, 5)
    idx = struct.pack('<II', 3, 0)
    s['region_plain'] = (bytes([V_REGION_INFO]) + idx +
                         region_info(3, 3, 0x100, 0))
    sp = sparse([(0x1000, 0x1000), (0x3000, 0x2000)], 32 + 48)
    s['region_sparse'] = (bytes([V_REGION_INFO]) + idx +
                          region_info(3, 7, 0x8000, 0,
                                      sp + cap_type(0x80000000, 1)))
    s['region_mmap'] = (bytes([V_REGION_INFO]) + idx +
                        region_info(3, 7, 0x4000, 0x10000))
    big = struct.pack('<IIIIQQ', 2000, 7, 3, 0, 0x4000, 0)
    s['region_emsgsize'] = bytes([V_REGION_INFO]) + idx + big
    s['irq_info'] = (bytes([V_IRQ_INFO]) + struct.pack('<I', 2) +
                     struct.pack('<IIII', 16, 9, 2, 512))
    req = struct.pack('<QII', 0x40, 7, 8)
    s['region_read'] = (bytes([V_REGION_READ]) + req +
                        struct.pack('<QII', 0x40, 7, 4) + b'\xaa' * 4)
    s['region_write'] = (bytes([V_REGION_WRITE]) + req +
                         struct.pack('<QII', 0x40, 7, 8))
    s['dma_read'] = (bytes([V_DMA_REQUEST]) + struct.pack('<HI', 0, 4096) +
                     struct.pack('<QQ', 0x100000, 64))
    s['dma_write'] = (bytes([V_DMA_REQUEST]) + struct.pack('<HI', 1, 4096) +
                      struct.pack('<QQ', 0x100000, 8) + b'\x55' * 8)
    unmap = struct.pack('<IIQQ', 24, 0, 0x100000, 0x2000)
    s['dma_unmap'] = bytes([V_DMA_UNMAP_REPLY]) + unmap + unmap
    s['empty'] = bytes([V_EMPTY_REPLY])
    # Migration: DEVICE_FEATURE GET MIGRATION / MIG_DEVICE_STATE, SET
    # echoed and empty, MIG_DATA_READ full, short, padded and the end.
    s['mig_flags'] = (bytes([V_MIGRATION]) +
                      struct.pack('<IIQ', 16, 0x10001, 1))
    s['mig_state_get'] = (bytes([V_MIG_STATE_GET]) +
                          struct.pack('<IIII', 16, 0x10002, 3, 0))
    s['mig_state_set'] = (bytes([V_MIG_STATE_SET]) + struct.pack('<I', 1) +
                          struct.pack('<IIII', 16, 0x20002, 1, 0))
    s['mig_state_set_empty'] = (bytes([V_MIG_STATE_SET]) +
                                struct.pack('<I', 4))
    s['mig_read'] = (bytes([V_MIG_DATA_READ]) + struct.pack('<I', 16) +
                     struct.pack('<II', 24, 16) + b'\x11' * 16)
    s['mig_read_short'] = (bytes([V_MIG_DATA_READ]) + struct.pack('<I', 16) +
                           struct.pack('<II', 12, 4) + b'\x22' * 4)
    s['mig_read_padded'] = (bytes([V_MIG_DATA_READ]) +
                            struct.pack('<I', 16) +
                            struct.pack('<II', 12, 4) + b'\x22' * 4 +
                            b'\0' * 12)
    s['mig_read_eos'] = (bytes([V_MIG_DATA_READ]) + struct.pack('<I', 16) +
                         struct.pack('<II', 8, 0))
    s['mig_write'] = bytes([V_MIG_DATA_WRITE])
    return s


def main():
    top = sys.argv[1] if len(sys.argv) > 1 else 'corpus'
    sets = {
        'json': {k: b'\x01' + v for k, v in JSON.items()},
        'version': {k: b'\x00' + struct.pack('<HH', 0, 2) + v + b'\x00'
                    for k, v in JSON.items() if k in ('qemu', 'libvfu', 'ours')},
        'reply': reply_seeds(),
    }
    sets['version']['twin'] = (b'\x01' + struct.pack('<HH', 0, 2) +
                               LIBVFU_CAPS + b'\x00')
    sets['version']['nojson'] = b'\x00' + struct.pack('<HH', 0, 0)
    for name, seeds in sets.items():
        d = os.path.join(top, name)
        os.makedirs(d, exist_ok=True)
        for k, v in seeds.items():
            with open(os.path.join(d, k), 'wb') as f:
                f.write(v)


if __name__ == '__main__':
    main()
