; Real mode: integer arithmetic and flags, string instructions, CPUID, RDTSC, CMOS/RTC,
; and an x87 sanity check.
%include "lib.inc"
FLAGMASK equ 0x8D5                ; OF SF ZF AF PF CF
bits 16
org 0
start:
  REAL_ENTRY
; ---- arithmetic and flags
  mov eax, 0xFFFFFFFF
  add eax, 1
  pushfd
  CHECK "add-wrap-result", 0
  pop eax
  and eax, FLAGMASK
  CHECK "add-wrap-flags", 0x55
  mov eax, 0x80000000
  sub eax, 1
  pushfd
  CHECK "sub-overflow-result", 0x7FFFFFFF
  pop eax
  and eax, FLAGMASK
  CHECK "sub-overflow-flags", 0x814
  mov eax, -3
  mov ecx, 7
  imul ecx
  CHECK "imul-low", 0xFFFFFFEB
  mov eax, edx
  CHECK "imul-high", 0xFFFFFFFF
  xor edx, edx
  mov eax, 100
  mov ecx, 7
  div ecx
  CHECK "div-quotient", 14
  mov eax, edx
  CHECK "div-remainder", 2
  mov eax, 0x12345678
  mov edx, 0x9ABCDEF0
  shld eax, edx, 8
  CHECK "shld", 0x3456789A
  mov eax, 0xFFFFFFFF              ; 64-bit add with adc: 0x00000001_FFFFFFFF + 1
  mov edx, 1
  add eax, 1
  adc edx, 0
  CHECK "adc-low", 0
  mov eax, edx
  CHECK "adc-high", 2
  mov al, 0x19
  add al, 0x28
  daa
  movzx eax, al
  CHECK "daa", 0x47
  mov ecx, 0x00F00000
  bsr eax, ecx
  CHECK "bsr", 23
  bsf eax, ecx
  CHECK "bsf", 20
  mov eax, 0x11223344
  bswap eax
  CHECK "bswap", 0x44332211
  mov eax, 5
  mov ecx, 9
  cmp eax, ecx
  cmovb eax, ecx
  CHECK "cmovb", 9
  mov al, 0x81
  rol al, 1
  pushf
  movzx eax, al
  CHECK "rol8", 3
  pop ax
  and eax, 1
  CHECK "rol8-cf", 1
  mov eax, 0x10
  mov ecx, 0x20
  xadd eax, ecx
  CHECK "xadd-sum", 0x30
  mov eax, ecx
  CHECK "xadd-old", 0x10
  mov dword [0x600], 0x55
  mov eax, 0x55
  mov ecx, 0x77
  lock cmpxchg [0x600], ecx
  mov eax, [0x600]
  CHECK "cmpxchg", 0x77
; ---- string instructions
  push ds
  push cs
  pop ds
  mov si, msg
  mov di, 0x2000
  mov cx, msg_len
  rep movsb
  pop ds
  mov eax, ecx
  CHECK "rep-movsb-count", 0
  mov eax, [0x2000]
  CHECK "rep-movsb-data", 0x6C6C6548   ; "Hell"
  push ds
  push cs
  pop ds
  mov si, msg
  mov di, 0x2000
  mov cx, msg_len
  repe cmpsb
  pop ds
  setz al
  movzx eax, al
  CHECK "repe-cmpsb-equal", 1
  mov di, 0x2000
  mov al, 'w'
  mov cx, msg_len
  repne scasb
  movzx eax, cx
  CHECK "repne-scasb-remaining", msg_len - 8
  mov di, 0x3000
  mov ax, 0xA5A5
  mov cx, 8
  rep stosw
  mov eax, [0x300C]
  CHECK "rep-stosw", 0xA5A5A5A5
  std                               ; backwards movsd
  mov si, 0x2004
  mov di, 0x3004
  mov cx, 2
  rep movsd
  cld
  mov eax, [0x3000]
  CHECK "std-movsd", 0x6C6C6548
  movzx eax, di
  CHECK "std-movsd-di", 0x2FFC
; ---- CPUID
  xor eax, eax
  cpuid
  mov eax, ebx
  CHECK "cpuid-vendor-ebx", 0x756E6547
  mov eax, edx
  CHECK "cpuid-vendor-edx", 0x49656E69
  mov eax, ecx
  CHECK "cpuid-vendor-ecx", 0x6C65746E
  mov eax, 1
  cpuid
  push edx
  shr eax, 8
  and eax, 0xF
  CHECK "cpuid-family", 6
  pop eax
  and eax, 0x8119                    ; FPU PSE TSC CX8 CMOV
  CHECK "cpuid-features", 0x8119
; ---- RDTSC monotonic
  rdtsc
  mov esi, eax
  mov edi, edx
  mov ecx, 1000
.spin: loop .spin
  rdtsc
  sub eax, esi
  sbb edx, edi                       ; later - earlier must be > 0 (as 64-bit)
  jb .tsc_bad
  or eax, edx
  jz .tsc_bad
  mov eax, 1
  jmp .tsc_done
.tsc_bad: xor eax, eax
.tsc_done:
  CHECK "rdtsc-monotonic", 1
; ---- CMOS / RTC
  mov al, 0x8D                      ; register D (NMI off): VRT bit
  out 0x70, al
  in al, 0x71
  and eax, 0x80
  CHECK "cmos-vrt", 0x80
  mov al, 0x8A
  out 0x70, al
.uip: in al, 0x71
  test al, 0x80
  jnz .uip
  mov al, 0x80                       ; seconds: BCD below 0x60
  out 0x70, al
  in al, 0x71
  movzx eax, al
  mov ecx, eax
  and ecx, 0x0F
  cmp ecx, 9
  ja .bad_sec
  cmp eax, 0x59
  ja .bad_sec
  mov eax, 1
  jmp .sec_done
.bad_sec: xor eax, eax
.sec_done:
  CHECK "rtc-seconds-bcd", 1
  mov al, 0xC0                       ; NVRAM byte write/read back
  out 0x70, al
  mov al, 0x5A
  out 0x71, al
  mov al, 0xC0
  out 0x70, al
  in al, 0x71
  movzx eax, al
  CHECK "cmos-nvram", 0x5A
  mov al, 0x95
  out 0x70, al
  in al, 0x71
  mov ah, al
  mov al, 0x96
  out 0x70, al
  in al, 0x71
  xchg al, ah
  movzx eax, ax
  CHECK "cmos-base-memory-kb", 640
  mov al, 0xB0
  out 0x70, al
  in al, 0x71
  mov ah, al
  mov al, 0xB1
  out 0x70, al
  in al, 0x71
  xchg al, ah
  movzx eax, ax
  CHECK "cmos-extended-memory-kb", 31744
; ---- x87
  fninit
  fnstsw ax
  movzx eax, ax
  CHECK "fpu-fninit-status", 0
  push ds
  push cs
  pop ds
  fld dword [f_two]
  fld dword [f_three]
  fmulp st1, st0
  fistp dword [es:0x600]
  fld dword [f_sixteen]
  fsqrt
  fistp dword [es:0x604]
  fldpi
  fimul dword [i_million]
  fistp dword [es:0x608]
  fld dword [f_two]
  fsqrt
  fimul dword [i_billion]
  fistp dword [es:0x60C]
  fld1
  fld dword [f_two]
  fcompp                             ; ST0=2 > ST1=1: C3=C2=C0=0
  fnstsw ax
  mov [es:0x610], ax
  fld dword [f_2_5]                      ; rounding control on FISTP of 2.5 and -2.5
  fistp dword [es:0x614]                 ; nearest even: 2
  fld dword [f_m2_5]
  fistp dword [es:0x618]                 ; nearest even: -2
  fldcw [cw_down]
  fld dword [f_m2_5]
  fistp dword [es:0x61C]                 ; down: -3
  fldcw [cw_up]
  fld dword [f_2_5]
  fistp dword [es:0x620]                 ; up: 3
  fldcw [cw_zero]
  fld dword [f_m2_5]
  fistp dword [es:0x624]                 ; toward zero: -2
  fldcw [cw_nearest]
  fnclex                                 ; 1/0 with ZE masked: +inf and ZE set
  fld1
  fldz
  fdivp st1, st0
  fnstsw ax
  mov [es:0x628], ax
  fstp dword [es:0x62C]
  pop ds
  mov ax, [0x610]
  and eax, 0x4500
  CHECK "fcompp-greater", 0
  mov eax, [0x600]
  CHECK "fmul", 6
  mov eax, [0x604]
  CHECK "fsqrt", 4
  mov eax, [0x608]
  CHECK "fldpi-fimul", 3141593
  mov eax, [0x60C]
  CHECK "fsqrt2", 1414213562
  mov eax, [0x614]
  CHECK "fistp-nearest-even-2.5", 2
  mov eax, [0x618]
  CHECK "fistp-nearest-even-minus-2.5", -2
  mov eax, [0x61C]
  CHECK "fistp-round-down", -3
  mov eax, [0x620]
  CHECK "fistp-round-up", 3
  mov eax, [0x624]
  CHECK "fistp-round-toward-zero", -2
  movzx eax, word [0x628]
  and eax, 0x3F
  CHECK "fdiv-by-zero-sets-ze", 0x04
  mov eax, [0x62C]
  CHECK "fdiv-by-zero-is-inf", 0x7F800000
  call finish_16

msg: db "Hello, world of bits"
msg_len equ $ - msg
f_two: dd 2.0
f_three: dd 3.0
f_sixteen: dd 16.0
i_million: dd 1000000
i_billion: dd 1000000000
f_2_5: dd 2.5
f_m2_5: dd -2.5
cw_nearest: dw 0x037F
cw_down: dw 0x077F
cw_up: dw 0x0B7F
cw_zero: dw 0x0F7F
  LIBRARY 16
  STRINGS
  RESET_VECTOR start
