/**
 * Word lists for the synthetic catalog: each category has its own vocabulary
 * and three hidden styles, so a person reading recommendations can tell
 * whether they fit a user's history ("Midnight Saxophone Session" next to
 * other Jazz, not next to "Quantum Starship Saga").
 */
export interface CategoryWords {
  readonly name: string;
  readonly styles: readonly [string, string, string];
  readonly adjectives: readonly string[];
  readonly nouns: readonly string[];
}

export const CATEGORIES: readonly CategoryWords[] = [
  {
    name: 'Jazz',
    styles: ['Bebop', 'Cool', 'Fusion'],
    adjectives: ['Midnight', 'Smoky', 'Blue', 'Velvet', 'Late-Night', 'Swinging', 'Muted', 'Uptown'],
    nouns: ['Saxophone Session', 'Trio', 'Standards', 'Groove', 'Ballads', 'Quartet', 'Improvisations', 'Nocturne'],
  },
  {
    name: 'Classical',
    styles: ['Baroque', 'Romantic', 'Modern'],
    adjectives: ['Grand', 'Solemn', 'Pastoral', 'Imperial', 'Autumn', 'Heroic', 'Gentle', 'Vienna'],
    nouns: ['Symphony', 'Sonata', 'Concerto', 'Requiem', 'Etudes', 'Overture', 'Fugue', 'Variations'],
  },
  {
    name: 'Rock',
    styles: ['Classic', 'Punk', 'Indie'],
    adjectives: ['Loud', 'Electric', 'Broken', 'Wild', 'Neon', 'Rusty', 'Highway', 'Burning'],
    nouns: ['Riffs', 'Anthems', 'Garage Tapes', 'Power Chords', 'Road Songs', 'Amplifier', 'Rebellion', 'Encore'],
  },
  {
    name: 'Electronic',
    styles: ['House', 'Techno', 'Ambient'],
    adjectives: ['Pulsing', 'Synthetic', 'Deep', 'Analog', 'Crystal', 'Warehouse', 'Lunar', 'Binary'],
    nouns: ['Beats', 'Loops', 'Frequencies', 'Drift', 'Circuit', 'Waveforms', 'Rave', 'Signals'],
  },
  {
    name: 'Hip-Hop',
    styles: ['Boom Bap', 'Trap', 'Conscious'],
    adjectives: ['Street', 'Golden', 'Heavy', 'Concrete', 'Lyrical', 'Block', 'Fresh', 'Underground'],
    nouns: ['Rhymes', 'Cypher', 'Mixtape', 'Verses', 'Flow', 'Breakbeats', 'Chronicles', 'Bars'],
  },
  {
    name: 'Sci-fi',
    styles: ['Space Opera', 'Cyberpunk', 'Time Travel'],
    adjectives: ['Quantum', 'Galactic', 'Stellar', 'Android', 'Orbital', 'Neural', 'Interstellar', 'Chrono'],
    nouns: ['Starship Saga', 'Colony', 'Protocol', 'Frontier', 'Singularity', 'Outpost', 'Paradox', 'Armada'],
  },
  {
    name: 'Fantasy',
    styles: ['Epic', 'Fairy Tale', 'Dark'],
    adjectives: ['Enchanted', 'Dragon', 'Elven', 'Forgotten', 'Crimson', 'Silver', 'Ancient', 'Cursed'],
    nouns: ['Kingdom', 'Sword', 'Prophecy', 'Crown', 'Quest', 'Tower', 'Grimoire', 'Realm'],
  },
  {
    name: 'Crime',
    styles: ['Noir', 'Detective', 'Heist'],
    adjectives: ['Silent', 'Cold', 'Deadly', 'Crooked', 'Hidden', 'Final', 'Shadow', 'Rainy'],
    nouns: ['Witness', 'Alibi', 'Case File', 'Verdict', 'Informant', 'Vault', 'Confession', 'Motive'],
  },
  {
    name: 'Romance',
    styles: ['Period', 'Comedy', 'Drama'],
    adjectives: ['Summer', 'Secret', 'Sweet', 'Parisian', 'Lost', 'Endless', 'Moonlit', 'Second'],
    nouns: ['Love Letters', 'Affair', 'Promise', 'Wedding', 'Kiss', 'Heartstrings', 'Rendezvous', 'Serenade'],
  },
  {
    name: 'Horror',
    styles: ['Slasher', 'Ghost', 'Cosmic'],
    adjectives: ['Haunted', 'Bleeding', 'Hollow', 'Howling', 'Wicked', 'Buried', 'Creeping', 'Sinister'],
    nouns: ['Mansion', 'Asylum', 'Ritual', 'Nightmare', 'Crypt', 'Possession', 'Harvest', 'Whispers'],
  },
  {
    name: 'Documentary',
    styles: ['Nature', 'History', 'Science'],
    adjectives: ['Hidden', 'Untold', 'Wild', 'Frozen', 'Great', 'Inside', 'Vanishing', 'Deep'],
    nouns: ['Planet', 'Empires', 'Oceans', 'Rainforest', 'Expedition', 'Civilizations', 'Migration', 'Discovery'],
  },
  {
    name: 'Cooking',
    styles: ['Baking', 'Street Food', 'Vegetarian'],
    adjectives: ['Rustic', 'Spicy', 'Homemade', 'Golden', 'Garden', 'Smoky', 'Tuscan', 'Weeknight'],
    nouns: ['Bread', 'Noodles', 'Feasts', 'Pastries', 'Curries', 'Grill', 'Soups', 'Kitchen'],
  },
  {
    name: 'Travel',
    styles: ['Backpacking', 'Luxury', 'Road Trip'],
    adjectives: ['Island', 'Mountain', 'Desert', 'Coastal', 'Northern', 'Hidden', 'Old Town', 'Alpine'],
    nouns: ['Escapes', 'Trails', 'Journeys', 'Guide', 'Odyssey', 'Getaways', 'Railways', 'Markets'],
  },
  {
    name: 'Sports',
    styles: ['Football', 'Tennis', 'Cycling'],
    adjectives: ['Legendary', 'Final', 'Golden', 'Underdog', 'Record', 'Champion', 'Fearless', 'Rising'],
    nouns: ['Season', 'Comeback', 'Rivalry', 'Cup Run', 'Match Point', 'Sprint', 'Derby', 'Victory'],
  },
  {
    name: 'Kids',
    styles: ['Animals', 'Adventure', 'Learning'],
    adjectives: ['Little', 'Happy', 'Brave', 'Sleepy', 'Tiny', 'Jolly', 'Curious', 'Rainbow'],
    nouns: ['Bunny', 'Dinosaurs', 'Pirates', 'Alphabet', 'Train', 'Puppy', 'Explorers', 'Lullabies'],
  },
  {
    name: 'Business',
    styles: ['Startups', 'Finance', 'Leadership'],
    adjectives: ['Lean', 'Smart', 'Bold', 'Disruptive', 'Practical', 'Strategic', 'Agile', 'Winning'],
    nouns: ['Playbook', 'Markets', 'Founders', 'Negotiation', 'Investing', 'Habits', 'Growth', 'Ledger'],
  },
];
