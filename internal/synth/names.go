package synth

import (
	"math/rand/v2"
	"strconv"
)

// Name pools. The names are invented in the style of Baotou's place names; none marks a
// real place, and the codes of 街道 and communities are synthetic (district adcode + serial).
var (
	roadWords = []string{"钢铁", "阿尔丁", "友谊", "民族", "建设", "幸福", "青年", "黄河", "巴彦塔拉", "林荫",
		"呼得木林", "少先", "民主", "团结", "文化", "富强", "光荣", "自由", "胜利", "和平", "工业", "科学",
		"劳动", "育才", "校园", "银河", "沼潭", "昆工", "白云", "鞍山", "前进", "先锋", "万青", "青山",
		"富民", "兴胜", "环城", "南绒", "北梁", "东站", "铁西", "纺织", "乌兰", "赛音", "哈屯", "包钢",
		"稀土", "新都市", "萨如拉", "赛汗", "沙河", "建华", "阳光", "景园", "春光", "丰产", "锦绣", "东方"}
	placeWords = []string{"丁香", "银杏", "白桦", "金桂", "紫薇", "玉兰", "海棠", "青松", "翠柳", "芳草",
		"明珠", "华苑", "锦园", "怡和", "康乐", "嘉园", "瑞丰", "晨光", "星河", "绿洲", "馨苑", "和顺",
		"福源", "安泰", "祥和", "润泽", "宏达", "鹿城", "草原", "敕勒", "阴山", "九曲", "昆仑", "雁归",
		"云杉", "枫林", "梧桐", "榆树", "杏花", "桃源", "荷塘", "碧水", "望月", "朝阳", "新村", "北岸",
		"南苑", "东湖", "西园", "中和", "富贵", "长青", "平安", "金地", "银苑", "恒通", "兴园", "万和"}
	placeSuffix = []string{"", "东", "西", "南", "北", "新", "第二", "第三"}
)

// namer hands out unique names; the used set is only ever looked up, never iterated.
type namer struct {
	r    *rand.Rand
	used map[string]bool
}

func newNamer(seed uint64) *namer {
	return &namer{r: stream(seed, tagNames, 0, 0), used: map[string]bool{}}
}

// pick returns words[k]+suffix+noun, unique among the names this namer gave out.
func (n *namer) pick(words []string, noun string) string {
	for try := 0; ; try++ {
		w := words[n.r.IntN(len(words))]
		s := ""
		if try > 3 {
			s = placeSuffix[n.r.IntN(len(placeSuffix))]
		}
		if try > 40 {
			s += strconv.Itoa(try)
		}
		name := w + s + noun
		if !n.used[name] {
			n.used[name] = true
			return name
		}
	}
}
