; CPU benchmark ROM, memory-heavy kernel (32-bit protected mode): ROUNDS rounds of a 64 KiB
; copy, a read-modify-write pass over the copy and a strided read across the source.
; Prints "RESULT sum" to port 0xE9. Instructions per round, analytic (scripts/bench/cpu-bench.sh):
;   3 + 6*16384 (copy) + 3 + 6*8192 (update) + 2 + 4*1024 (strided) + 3 = 151563.
%include "lib.inc"
%include "pm.inc"
%ifndef ROUNDS
%define ROUNDS 200
%endif
SRC   equ 0x40000
DST   equ 0x50000
SUM   equ 0x600
LEFT  equ 0x604
PM32_ROM_START
  mov dword [SUM], 0
  mov dword [LEFT], ROUNDS
  mov edi, SRC                            ; the source: an LCG fill, once
  mov ecx, 16384
  mov eax, 12345
.fill: imul eax, eax, 1103515245
  add eax, 12345
  mov [edi], eax
  add edi, 4
  dec ecx
  jnz .fill
round:
  mov esi, SRC
  mov edi, DST
  mov ecx, 16384
.copy: mov eax, [esi]
  mov [edi], eax
  add esi, 4
  add edi, 4
  dec ecx
  jnz .copy
  mov esi, DST
  mov ecx, 8192
  xor edx, edx
.update: add [esi], edx
  add edx, [esi + 4]
  xor [esi + 4], edx
  add esi, 8
  dec ecx
  jnz .update
  mov esi, SRC
  mov ecx, 1024
.stride: add edx, [esi]
  add esi, 64
  dec ecx
  jnz .stride
  add [SUM], edx
  dec dword [LEFT]
  jnz round
  RESULT_HEX32 SUM

  PM32_ROM_END
