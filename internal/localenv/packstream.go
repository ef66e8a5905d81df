package localenv

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// PackStream, Bolt's serialisation format: the part of it the readiness
// check needs to send HELLO, LOGON and GOODBYE and to read any answer.
// Markers (all big-endian):
//
//	C0 null, C2/C3 false/true, C1 float64, -16..127 tiny int, C8..CB int8..int64,
//	80+n / D0 D1 D2 string, 90+n / D4 D5 D6 list, A0+n / D8 D9 DA map,
//	B0+n struct (then a tag byte), CC CD CE bytes.

// entry is one key and value of a map written in a fixed order.
type entry struct {
	key   string
	value any
}

// orderedMap is a map that packs its entries in order, so messages are
// byte-for-byte reproducible.
type orderedMap []entry

// structure is a PackStream struct: a tag and its fields (a Bolt message is
// one: HELLO is tag 0x01, SUCCESS 0x70).
type structure struct {
	tag    byte
	fields []any
}

func packSize(b []byte, tiny byte, n int, m8, m16, m32 byte) ([]byte, error) {
	switch {
	case n < 16 && tiny != 0:
		return append(b, tiny+byte(n)), nil
	case n <= math.MaxUint8 && m8 != 0:
		return append(b, m8, byte(n)), nil
	case n <= math.MaxUint16:
		return binary.BigEndian.AppendUint16(append(b, m16), uint16(n)), nil
	case n <= math.MaxInt32:
		return binary.BigEndian.AppendUint32(append(b, m32), uint32(n)), nil
	}
	return nil, fmt.Errorf("packstream: size %d too large", n)
}

// pack appends v's PackStream encoding to b.
func pack(b []byte, v any) ([]byte, error) {
	var err error
	switch v := v.(type) {
	case nil:
		return append(b, 0xC0), nil
	case bool:
		if v {
			return append(b, 0xC3), nil
		}
		return append(b, 0xC2), nil
	case int:
		return packInt(b, int64(v)), nil
	case int64:
		return packInt(b, v), nil
	case float64:
		return binary.BigEndian.AppendUint64(append(b, 0xC1), math.Float64bits(v)), nil
	case string:
		if b, err = packSize(b, 0x80, len(v), 0xD0, 0xD1, 0xD2); err != nil {
			return nil, err
		}
		return append(b, v...), nil
	case []byte:
		if b, err = packSize(b, 0, len(v), 0xCC, 0xCD, 0xCE); err != nil {
			return nil, err
		}
		return append(b, v...), nil
	case []any:
		if b, err = packSize(b, 0x90, len(v), 0xD4, 0xD5, 0xD6); err != nil {
			return nil, err
		}
		for _, x := range v {
			if b, err = pack(b, x); err != nil {
				return nil, err
			}
		}
		return b, nil
	case orderedMap:
		if b, err = packSize(b, 0xA0, len(v), 0xD8, 0xD9, 0xDA); err != nil {
			return nil, err
		}
		for _, e := range v {
			if b, err = pack(b, e.key); err != nil {
				return nil, err
			}
			if b, err = pack(b, e.value); err != nil {
				return nil, err
			}
		}
		return b, nil
	case structure:
		if len(v.fields) > 15 {
			return nil, fmt.Errorf("packstream: struct with %d fields", len(v.fields))
		}
		b = append(b, 0xB0+byte(len(v.fields)), v.tag)
		for _, x := range v.fields {
			if b, err = pack(b, x); err != nil {
				return nil, err
			}
		}
		return b, nil
	}
	return nil, fmt.Errorf("packstream: cannot pack %T", v)
}

func packInt(b []byte, n int64) []byte {
	switch {
	case n >= -16 && n <= 127:
		return append(b, byte(int8(n)))
	case n >= math.MinInt8 && n <= math.MaxInt8:
		return append(b, 0xC8, byte(int8(n)))
	case n >= math.MinInt16 && n <= math.MaxInt16:
		return binary.BigEndian.AppendUint16(append(b, 0xC9), uint16(int16(n)))
	case n >= math.MinInt32 && n <= math.MaxInt32:
		return binary.BigEndian.AppendUint32(append(b, 0xCA), uint32(int32(n)))
	}
	return binary.BigEndian.AppendUint64(append(b, 0xCB), uint64(n))
}

var errShort = errors.New("packstream: value cut short")

// unpacker reads PackStream values from a message's bytes. Maps come out as
// map[string]any, lists as []any, integers as int64, structs as structure.
type unpacker struct {
	b []byte
	i int
}

func (u *unpacker) take(n int) ([]byte, error) {
	if n < 0 || u.i+n > len(u.b) {
		return nil, errShort
	}
	s := u.b[u.i : u.i+n]
	u.i += n
	return s, nil
}

func (u *unpacker) size(marker byte, tiny byte, m8, m16, m32 byte) (int, error) {
	switch marker {
	case m8:
		s, err := u.take(1)
		if err != nil {
			return 0, err
		}
		return int(s[0]), nil
	case m16:
		s, err := u.take(2)
		if err != nil {
			return 0, err
		}
		return int(binary.BigEndian.Uint16(s)), nil
	case m32:
		s, err := u.take(4)
		if err != nil {
			return 0, err
		}
		return int(binary.BigEndian.Uint32(s)), nil
	}
	return int(marker - tiny), nil
}

func (u *unpacker) unpack() (any, error) {
	m, err := u.take(1)
	if err != nil {
		return nil, err
	}
	marker := m[0]
	hi := marker & 0xF0
	switch {
	case marker <= 0x7F || marker >= 0xF0:
		return int64(int8(marker)), nil
	case marker == 0xC0:
		return nil, nil
	case marker == 0xC2, marker == 0xC3:
		return marker == 0xC3, nil
	case marker == 0xC1:
		s, err := u.take(8)
		if err != nil {
			return nil, err
		}
		return math.Float64frombits(binary.BigEndian.Uint64(s)), nil
	case marker >= 0xC8 && marker <= 0xCB:
		s, err := u.take(1 << (marker - 0xC8))
		if err != nil {
			return nil, err
		}
		switch len(s) {
		case 1:
			return int64(int8(s[0])), nil
		case 2:
			return int64(int16(binary.BigEndian.Uint16(s))), nil
		case 4:
			return int64(int32(binary.BigEndian.Uint32(s))), nil
		}
		return int64(binary.BigEndian.Uint64(s)), nil
	case marker >= 0xCC && marker <= 0xCE:
		n, err := u.size(marker, 0, 0xCC, 0xCD, 0xCE)
		if err != nil {
			return nil, err
		}
		s, err := u.take(n)
		return append([]byte(nil), s...), err
	case hi == 0x80 || (marker >= 0xD0 && marker <= 0xD2):
		n, err := u.size(marker, 0x80, 0xD0, 0xD1, 0xD2)
		if err != nil {
			return nil, err
		}
		s, err := u.take(n)
		return string(s), err
	case hi == 0x90 || (marker >= 0xD4 && marker <= 0xD6):
		n, err := u.size(marker, 0x90, 0xD4, 0xD5, 0xD6)
		if err != nil {
			return nil, err
		}
		list := make([]any, 0, min(n, 64))
		for range n {
			v, err := u.unpack()
			if err != nil {
				return nil, err
			}
			list = append(list, v)
		}
		return list, nil
	case hi == 0xA0 || (marker >= 0xD8 && marker <= 0xDA):
		n, err := u.size(marker, 0xA0, 0xD8, 0xD9, 0xDA)
		if err != nil {
			return nil, err
		}
		out := make(map[string]any, min(n, 64))
		for range n {
			k, err := u.unpack()
			if err != nil {
				return nil, err
			}
			key, ok := k.(string)
			if !ok {
				return nil, fmt.Errorf("packstream: map key is %T, not a string", k)
			}
			if out[key], err = u.unpack(); err != nil {
				return nil, err
			}
		}
		return out, nil
	case hi == 0xB0:
		tag, err := u.take(1)
		if err != nil {
			return nil, err
		}
		s := structure{tag: tag[0]}
		for range int(marker - 0xB0) {
			v, err := u.unpack()
			if err != nil {
				return nil, err
			}
			s.fields = append(s.fields, v)
		}
		return s, nil
	}
	return nil, fmt.Errorf("packstream: unknown marker 0x%02X", marker)
}
