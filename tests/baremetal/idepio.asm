; IDE PIO transfers of many sectors on the primary channel (PIIX IDE, -drive ...,if=ide,index=0),
; 32-bit protected mode, interrupts masked with nIEN, every dword checked: the data port through
; REP INSW, REP INSD, REP OUTSW and REP OUTSD (the accesses the fast path serves, see
; bundles/devices-storage IdeFastPath), blocks of 1 and 16 sectors (READ/WRITE MULTIPLE), LBA28 and
; LBA48, a sector read half by words and half by dwords, status and alternate status after each
; transfer. BareMetalIT runs it with piix3-ide.fastpath on and off and under the translator, and
; checks the disk afterwards.
; The disk (BareMetalIT makes it: 2048 sectors) holds in dword k of sector i the value i<<16 | k.
; Written: sectors 600-699 hold (i<<16 | k) ^ 0xA5A5A5A5, sectors 800-847 (i<<16 | k) ^ 0x3C3C3C3C.
%include "lib.inc"
%include "pm.inc"
DATA   equ 0x1F0
COUNT  equ 0x1F2
LBA0   equ 0x1F3
LBA1   equ 0x1F4
LBA2   equ 0x1F5
DEVICE equ 0x1F6
STATUS equ 0x1F7
CTL    equ 0x3F6
BUF    equ 0x100000
MASK_A equ 0xA5A5A5A5
MASK_B equ 0x3C3C3C3C

PM32_ROM_START
  mov dx, CTL
  mov al, 2                                 ; nIEN
  out dx, al
  call wait_ready

  ; READ SECTORS, 256 sectors (count 0) from LBA 0, REP INSW per sector
  xor ebx, ebx
  mov cl, 0
  mov al, 0x20
  call command28
  mov edi, BUF
  mov ecx, 256
  call read_insw
  call status_now
  CHECK "read256-insw-status", 0x50
  mov esi, BUF
  xor ebx, ebx
  mov ecx, 256
  xor ebp, ebp
  call mismatches
  CHECK "read256-insw-mismatches", 0
  mov esi, BUF
  mov ecx, 256 * 128
  call dword_sum
  CHECK "read256-insw-sum", (((128 * 32640) << 16) + 256 * 8128) & 0xFFFFFFFF

  ; SET MULTIPLE MODE 16, READ MULTIPLE 200 sectors from LBA 1500: 12 blocks of 16 and one of 8, REP INSD
  mov dx, COUNT
  mov al, 16
  out dx, al
  mov dx, STATUS
  mov al, 0xC6
  out dx, al
  call status_now
  CHECK "set-multiple-16-status", 0x50
  mov ebx, 1500
  mov cl, 200
  mov al, 0xC4
  call command28
  mov edi, BUF
  mov ecx, 200
  mov edx, 16
  call read_insd_blocks
  call status_now
  CHECK "read-multiple200-insd-status", 0x50
  mov esi, BUF
  mov ebx, 1500
  mov ecx, 200
  xor ebp, ebp
  call mismatches
  CHECK "read-multiple200-insd-mismatches", 0

  ; WRITE SECTORS, 100 sectors at LBA 600, REP OUTSW per sector
  mov edi, BUF
  mov ebx, 600
  mov ecx, 100
  mov ebp, MASK_A
  call fill
  mov ebx, 600
  mov cl, 100
  mov al, 0x30
  call command28
  mov esi, BUF
  mov ecx, 100
  call write_outsw
  call status_now
  CHECK "write100-outsw-status", 0x50

  ; WRITE MULTIPLE, 48 sectors at LBA 800: 3 blocks of 16, REP OUTSD
  mov edi, BUF
  mov ebx, 800
  mov ecx, 48
  mov ebp, MASK_B
  call fill
  mov ebx, 800
  mov cl, 48
  mov al, 0xC5
  call command28
  mov esi, BUF
  mov ecx, 3
.wm: call wait_drq
  push ecx
  mov ecx, 16 * 128
  mov dx, DATA
  rep outsd
  pop ecx
  loop .wm
  call status_now
  CHECK "write-multiple48-outsd-status", 0x50
  mov dx, STATUS
  mov al, 0xE7                              ; FLUSH CACHE
  out dx, al
  call status_now
  CHECK "flush-status", 0x50

  ; READ SECTORS EXT, 100 sectors from LBA 600, REP INSD per sector
  mov ebx, 600
  mov ecx, 100
  mov al, 0x24
  call command48
  mov edi, BUF
  mov ecx, 100
  mov edx, 1
  call read_insd_blocks
  call status_now
  CHECK "read-ext100-insd-status", 0x50
  mov esi, BUF
  mov ebx, 600
  mov ecx, 100
  mov ebp, MASK_A
  call mismatches
  CHECK "read-ext100-written-mismatches", 0

  ; READ SECTORS, 48 sectors from LBA 800, REP INSW
  mov ebx, 800
  mov cl, 48
  mov al, 0x20
  call command28
  mov edi, BUF
  mov ecx, 48
  call read_insw
  call status_now
  CHECK "read48-insw-status", 0x50
  mov esi, BUF
  mov ebx, 800
  mov ecx, 48
  mov ebp, MASK_B
  call mismatches
  CHECK "read48-written-mismatches", 0

  ; one sector read as 128 words then 64 dwords (the block ends on a dword), LBA 7
  mov ebx, 7
  mov cl, 1
  mov al, 0x20
  call command28
  call wait_drq
  mov edi, BUF
  mov ecx, 128
  mov dx, DATA
  rep insw
  mov dx, 0x3F6                             ; alternate status in the middle of the block
  in al, dx
  movzx eax, al
  CHECK "mid-block-alt-status", 0x58
  mov ecx, 64
  mov dx, DATA
  rep insd
  call status_now
  CHECK "mixed-sector-status", 0x50
  mov dx, 0x3F6
  in al, dx
  movzx eax, al
  CHECK "mixed-sector-alt-status", 0x50
  mov esi, BUF
  mov ebx, 7
  mov ecx, 1
  xor ebp, ebp
  call mismatches
  CHECK "mixed-sector-mismatches", 0
  call finish_32

; waits (bounded) until BSY is clear
wait_ready:
  push ecx
  push edx
  mov ecx, 1000000
  mov dx, STATUS
.w: in al, dx
  test al, 0x80
  jz .ok
  loop .w
.ok: pop edx
  pop ecx
  ret

; waits (bounded) until BSY is clear and DRQ set
wait_drq:
  push ecx
  push edx
  mov ecx, 1000000
  mov dx, STATUS
.w: in al, dx
  and al, 0x88
  cmp al, 0x08
  je .ok
  loop .w
.ok: pop edx
  pop ecx
  ret

; EAX = the status once BSY is clear
status_now:
  call wait_ready
  push edx
  mov dx, STATUS
  in al, dx
  movzx eax, al
  pop edx
  ret

; EBX = LBA28, CL = count, AL = command
command28:
  push eax
  call wait_ready
  mov dx, DEVICE
  mov eax, ebx
  shr eax, 24
  or al, 0xE0
  out dx, al
  mov dx, COUNT
  mov al, cl
  out dx, al
  mov dx, LBA0
  mov al, bl
  out dx, al
  mov dx, LBA1
  mov al, bh
  out dx, al
  mov dx, LBA2
  mov eax, ebx
  shr eax, 16
  out dx, al
  pop eax
  mov dx, STATUS
  out dx, al
  ret

; EBX = LBA (below 2^32), ECX = count (below 65536), AL = command; previous bytes first
command48:
  push eax
  call wait_ready
  mov dx, DEVICE
  mov al, 0x40
  out dx, al
  mov dx, COUNT
  mov al, ch
  out dx, al
  mov dx, LBA0
  mov eax, ebx
  shr eax, 24
  out dx, al
  mov dx, LBA1
  xor al, al
  out dx, al
  mov dx, LBA2
  out dx, al
  mov dx, COUNT
  mov al, cl
  out dx, al
  mov dx, LBA0
  mov al, bl
  out dx, al
  mov dx, LBA1
  mov al, bh
  out dx, al
  mov dx, LBA2
  mov eax, ebx
  shr eax, 16
  out dx, al
  pop eax
  mov dx, STATUS
  out dx, al
  ret

; reads ECX sectors to EDI (advanced), one REP INSW of 256 words per sector
read_insw:
  call wait_drq
  push ecx
  mov ecx, 256
  mov dx, DATA
  rep insw
  pop ecx
  loop read_insw
  ret

; reads ECX sectors to EDI (advanced) in blocks of EDX sectors, one REP INSD per block
read_insd_blocks:
  push ebx
  mov ebx, edx
.b: call wait_drq
  push ecx
  cmp ecx, ebx
  jbe .n
  mov ecx, ebx
.n: shl ecx, 7
  mov dx, DATA
  rep insd
  pop ecx
  sub ecx, ebx
  ja .b
  pop ebx
  ret

; writes ECX sectors from ESI (advanced), one REP OUTSW of 256 words per sector
write_outsw:
  call wait_drq
  push ecx
  mov ecx, 256
  mov dx, DATA
  rep outsw
  pop ecx
  loop write_outsw
  ret

; fills ECX sectors at EDI with (lba<<16 | k) ^ EBP, from LBA EBX
fill:
  pushad
.s: xor edx, edx
.d: mov eax, ebx
  shl eax, 16
  or eax, edx
  xor eax, ebp
  stosd
  inc edx
  cmp edx, 128
  jb .d
  inc ebx
  loop .s
  popad
  ret

; EAX = how many dwords of ECX sectors at ESI differ from (lba<<16 | k) ^ EBP, from LBA EBX
mismatches:
  push ebx
  push ecx
  push edx
  push esi
  push edi
  xor edi, edi
.s: xor edx, edx
.d: mov eax, ebx
  shl eax, 16
  or eax, edx
  xor eax, ebp
  cmp eax, [esi]
  je .same
  inc edi
.same: add esi, 4
  inc edx
  cmp edx, 128
  jb .d
  inc ebx
  loop .s
  mov eax, edi
  pop edi
  pop esi
  pop edx
  pop ecx
  pop ebx
  ret

; EAX = sum of ECX dwords at ESI
dword_sum:
  push ecx
  push esi
  xor eax, eax
.s: add eax, [esi]
  add esi, 4
  loop .s
  pop esi
  pop ecx
  ret

  PM32_ROM_END
